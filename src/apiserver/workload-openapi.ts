/**
 * @module OpenAPI v3 properties of the workload kinds (Deployment, ReplicaSet, EndpointSlice,
 * Event), with kube-apiserver's descriptions, so `kubectl explain deployment.spec` works.
 * Plugged into openapi.ts's registry. Pure data.
 */
type Schema = { readonly [k: string]: unknown };

const s = (description: string): Schema => ({ type: 'string', description });
const i = (description: string): Schema => ({ type: 'integer', format: 'int32', description });
const b = (description: string): Schema => ({ type: 'boolean', description });
const arr = (items: Schema, description: string): Schema => ({ type: 'array', items, description, 'x-kubernetes-list-type': 'atomic' });
const map = (description: string): Schema => ({ type: 'object', additionalProperties: { type: 'string', default: '' }, description });
const o = (description: string, properties: Record<string, Schema>, required: readonly string[] = []): Schema => ({
  type: 'object',
  description,
  properties,
  ...(required.length > 0 ? { required } : {}),
});
const open = (description: string, properties: Record<string, Schema> = {}): Schema => ({ ...o(description, properties), 'x-kubernetes-preserve-unknown-fields': true });

const LABEL_SELECTOR = o('A label selector is a label query over a set of resources. The result of matchLabels and matchExpressions are ANDed. An empty label selector matches all objects. A null label selector matches no objects.', {
  matchLabels: map('matchLabels is a map of {key,value} pairs. A single {key,value} in the matchLabels map is equivalent to an element of matchExpressions, whose key field is "key", the operator is "In", and the values array contains only "value". The requirements are ANDed.'),
  matchExpressions: arr(open('A label selector requirement is a selector that contains values, a key, and an operator that relates the key and values.'), 'matchExpressions is a list of label selector requirements. The requirements are ANDed.'),
});

const CONTAINER = open('A single application container that you want to run within a pod.', {
  name: s('Name of the container specified as a DNS_LABEL. Each container in a pod must have a unique name (DNS_LABEL). Cannot be updated.'),
  image: s('Container image name. In the Tabby lab the image picks what the pod runs: nginx serves HTTP on port 80, busybox runs its applets.'),
  command: arr({ type: 'string' }, 'Entrypoint array. Not executed within a shell.'),
  args: arr({ type: 'string' }, 'Arguments to the entrypoint.'),
  ports: arr(open('ContainerPort represents a network port in a single container.', { containerPort: i('Number of port to expose on the pod\'s IP address. This must be a valid port number, 0 < x < 65536.'), name: s('If specified, this must be an IANA_SVC_NAME and unique within the pod.'), protocol: s('Protocol for port. Must be UDP, TCP, or SCTP. Defaults to "TCP".') }), 'List of ports to expose from the container.'),
  stdin: b('Whether this container should allocate a buffer for stdin in the container runtime.'),
  tty: b('Whether this container should allocate a TTY for itself, also requires \'stdin\' to be true.'),
});

const POD_TEMPLATE = o('PodTemplateSpec describes the data a pod should have when created from a template', {
  metadata: open('Standard object\'s metadata.', { labels: map('Map of string keys and values that can be used to organize and categorize (scope and select) objects.'), annotations: map('Annotations is an unstructured key value map.') }),
  spec: open('PodSpec is a description of a pod.', {
    containers: arr(CONTAINER, 'List of containers belonging to the pod. There must be at least one container in a Pod. Cannot be updated.'),
    restartPolicy: s('Restart policy for all containers within the pod. One of Always, OnFailure, Never. Default to Always.'),
    nodeName: s('NodeName indicates in which node this pod is scheduled.'),
  }),
});

const CONDITIONS = arr(open('A condition of the object at a certain point.', { type: s('Type of condition.'), status: s('Status of the condition, one of True, False, Unknown.'), reason: s('The reason for the condition\'s last transition.'), message: s('A human readable message indicating details about the transition.') }), 'Represents the latest available observations of the object\'s current state.');

const OBJECT_REFERENCE = o('ObjectReference contains enough information to let you inspect or modify the referred object.', {
  kind: s('Kind of the referent.'),
  namespace: s('Namespace of the referent.'),
  name: s('Name of the referent.'),
  uid: s('UID of the referent.'),
  apiVersion: s('API version of the referent.'),
  resourceVersion: s('Specific resourceVersion to which this reference is made, if any.'),
  fieldPath: s('If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement.'),
});

export const WORKLOAD_PROPERTIES: [string, Record<string, Schema>][] = [
  [
    'apps/Deployment',
    {
      spec: o('DeploymentSpec is the specification of the desired behavior of the Deployment.', {
        replicas: i('Number of desired pods. This is a pointer to distinguish between explicit zero and not specified. Defaults to 1.'),
        selector: LABEL_SELECTOR,
        template: POD_TEMPLATE,
        strategy: o('The deployment strategy to use to replace existing pods with new ones.', { type: s('Type of deployment. Can be "Recreate" or "RollingUpdate". Default is RollingUpdate.'), rollingUpdate: open('Rolling update config params. Present only if DeploymentStrategyType = RollingUpdate.') }),
        minReadySeconds: i('Minimum number of seconds for which a newly created pod should be ready without any of its container crashing, for it to be considered available.'),
        revisionHistoryLimit: i('The number of old ReplicaSets to retain to allow rollback. Defaults to 10.'),
        paused: b('Indicates that the deployment is paused.'),
        progressDeadlineSeconds: i('The maximum time in seconds for a deployment to make progress before it is considered to be failed. Defaults to 600s.'),
      }, ['selector', 'template']),
      status: o('DeploymentStatus is the most recently observed status of the Deployment.', {
        observedGeneration: i('The generation observed by the deployment controller.'),
        replicas: i('Total number of non-terminated pods targeted by this deployment (their labels match the selector).'),
        updatedReplicas: i('Total number of non-terminated pods targeted by this deployment that have the desired template spec.'),
        readyReplicas: i('readyReplicas is the number of pods targeted by this Deployment with a Ready Condition.'),
        availableReplicas: i('Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.'),
        unavailableReplicas: i('Total number of unavailable pods targeted by this deployment.'),
        conditions: CONDITIONS,
      }),
    },
  ],
  [
    'apps/ReplicaSet',
    {
      spec: o('ReplicaSetSpec is the specification of a ReplicaSet.', {
        replicas: i('Replicas is the number of desired pods. Defaults to 1.'),
        selector: LABEL_SELECTOR,
        template: POD_TEMPLATE,
        minReadySeconds: i('Minimum number of seconds for which a newly created pod should be ready without any of its container crashing, for it to be considered available.'),
      }, ['selector']),
      status: o('ReplicaSetStatus represents the current status of a ReplicaSet.', {
        replicas: i('Replicas is the most recently observed number of non-terminating pods.'),
        fullyLabeledReplicas: i('The number of non-terminating pods that have labels matching the labels of the pod template of the replicaset.'),
        readyReplicas: i('The number of non-terminating pods targeted by this ReplicaSet with a Ready Condition.'),
        availableReplicas: i('The number of available non-terminating pods (ready for at least minReadySeconds) for this replica set.'),
        observedGeneration: i('ObservedGeneration reflects the generation of the most recently observed ReplicaSet.'),
        conditions: CONDITIONS,
      }),
    },
  ],
  [
    'discovery.k8s.io/EndpointSlice',
    {
      addressType: s('addressType specifies the type of address carried by this EndpointSlice. Possible values: "IPv4", "IPv6", "FQDN".'),
      endpoints: arr(o('Endpoint represents a single logical "backend" implementing a service.', {
        addresses: arr({ type: 'string' }, 'addresses of this endpoint.'),
        conditions: o('EndpointConditions represents the current condition of an endpoint.', { ready: b('ready indicates that this endpoint is ready to receive traffic.'), serving: b('serving indicates that this endpoint is able to receive traffic.'), terminating: b('terminating indicates that this endpoint is terminating.') }),
        nodeName: s('nodeName represents the name of the Node hosting this endpoint.'),
        targetRef: OBJECT_REFERENCE,
      }, ['addresses']), 'endpoints is a list of unique endpoints in this slice.'),
      ports: arr(o('EndpointPort represents a Port used by an EndpointSlice', { name: s('name represents the name of this port.'), protocol: s('protocol represents the IP protocol for this port.'), port: i('port represents the port number of the endpoint.') }), 'ports specifies the list of network ports exposed by each endpoint in this slice.'),
    },
  ],
  [
    '/Event',
    {
      involvedObject: OBJECT_REFERENCE,
      reason: s('This should be a short, machine understandable string that gives the reason for the transition into the object\'s current status.'),
      message: s('A human-readable description of the status of this operation.'),
      source: o('EventSource contains information for an event.', { component: s('Component from which the event is generated.'), host: s('Node name on which the event is generated.') }),
      firstTimestamp: { type: 'string', format: 'date-time', description: 'The time at which the event was first recorded.' },
      lastTimestamp: { type: 'string', format: 'date-time', description: 'The time at which the most recent occurrence of this event was recorded.' },
      count: i('The number of times this event has occurred.'),
      type: s('Type of this event (Normal, Warning), new types could be added in the future'),
      reportingComponent: s('Name of the controller that emitted this Event.'),
      reportingInstance: s('ID of the controller instance.'),
    },
  ],
  [
    'events.k8s.io/Event',
    {
      eventTime: { type: 'string', format: 'date-time', description: 'eventTime is the time when this Event was first observed. It is required.' },
      reportingController: s('reportingController is the name of the controller that emitted this Event.'),
      reportingInstance: s('reportingInstance is the ID of the controller instance.'),
      action: s('action is what action was taken/failed regarding to the regarding object.'),
      reason: s('reason is why the action was taken.'),
      regarding: OBJECT_REFERENCE,
      note: s('note is a human-readable description of the status of this operation.'),
      type: s('type is the type of this event (Normal, Warning).'),
    },
  ],
];

export const WORKLOAD_DESCRIPTIONS: [string, string][] = [
  ['apps/Deployment', 'Deployment enables declarative updates for Pods and ReplicaSets.'],
  ['apps/ReplicaSet', 'ReplicaSet ensures that a specified number of pod replicas are running at any given time.'],
  ['discovery.k8s.io/EndpointSlice', 'EndpointSlice represents a subset of the endpoints that implement a service.'],
  ['/Event', 'Event is a report of an event somewhere in the cluster.'],
  ['events.k8s.io/Event', 'Event is a report of an event somewhere in the cluster.'],
];
