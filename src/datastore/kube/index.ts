/** @module The Kubernetes REST datastore (calicoctl `datastoreType: kubernetes`) and kubeconfig reading. */
export { openKubeDatastore, KubeDatastore, KubeApiError, DEFAULT_WATCH_IDLE_TIMEOUT_MS, describeNetError, kubeAgent, type KubeDatastoreOptions } from './kube-datastore.js';
export { kubeconfigToOptions, type KubeconfigOptions } from './kubeconfig.js';
