/**
 * @module The distributed lab (`tabby lab up --distributed`): the same workers, pods and clients
 * as the single-process lab, but the control plane and the agents are real, separate processes,
 * each in its own network namespace, talking over the lab fabric with TLS:
 *
 *   <p>-e1..3   etcd-1..3        198.18.0.101-103  Debian's etcd, TLS client+peer (client certs required)
 *   <p>-a1..2   apiserver-1..2   198.18.0.111-112  `tabby server --bind/--advertise-address <ip> --port 6443
 *                                                  --etcd-endpoints https://…:2379,… --etcd-cafile/certfile/keyfile`
 *   <p>-adm     relay            198.18.0.99       the operator's machine: relays the host's API port (relay.ts)
 *   <p>-wN      agent-<node>     the worker's      `tabby agent --node N --server https://198.18.0.111:6443,
 *                                eth0 address       https://198.18.0.112:6443 --token T --ca-cert-hash sha256:…`
 *
 * The lab daemon (the host side: scheduler, kubelet, CNI and kube-proxy, as in the single-process
 * lab) is a client like kubectl: it reads and writes through the API servers via
 * `https://127.0.0.1:<hostPort>` → unix socket → relay in `<p>-adm` → apiserver-1, failing over to
 * apiserver-2 (relay.ts). The host's root namespace gets no lab address or route.
 * `<stateDir>/admin.kubeconfig` points there: `kubectl --kubeconfig <stateDir>/admin.kubeconfig get nodes`.
 *
 * Certificates: etcd's CA and member certificates are made in-process (the caller passes
 * apiserver/pki.ts's createCa as `newCa`); the cluster CA and serving certificates are made by
 * `tabby server` itself. What crosses between members is only what an operator copies: the
 * cluster CA and admin token to the second API server, a bootstrap token and the CA hash to
 * each worker (control-plane.ts).
 *
 * The member list: `<stateDir>/members.json` (MemberList, members.ts), also named by
 * `lab.json`'s `distributed.membersFile`:
 *
 *   { "version": 1, "prefix": "tbyab12c", "members": [
 *     { "name": "etcd-1", "role": "etcd", "netns": "tbyab12c-e1", "pid": 4242,
 *       "argv": ["ip","netns","exec","tbyab12c-e1","etcd","--name","etcd-1",…],
 *       "env": {"PATH": "…", "HOME": "…"}, "cwd": "<stateDir>/members/etcd-1",
 *       "address": "198.18.0.101", "url": "https://198.18.0.101:2379",
 *       "peerUrl": "https://198.18.0.101:2380", "logFile": "<stateDir>/etcd-1.log",
 *       "dir": "<stateDir>/members/etcd-1" },
 *     { "name": "apiserver-1", "role": "apiserver", …, "url": "https://198.18.0.111:6443" },
 *     { "name": "relay", "role": "relay", "netns": "tbyab12c-adm", … },
 *     { "name": "agent-worker1", "role": "agent", "node": "worker1", "netns": "tbyab12c-w1",
 *       "address": "198.18.0.11", "url": "https://198.18.0.111:6443,https://198.18.0.112:6443", … } ] }
 *
 * `pid` is absent while a member is stopped. `startMember(stateDir, name)` runs the recorded
 * argv/env/cwd again (an agent restarts from its state directory: no new token needed; etcd
 * from its data dir) and records the pid; `stopMember(stateDir, name, signal)` signals it and,
 * for SIGTERM/SIGKILL, waits until it is gone. Both take the lock `<stateDir>/members.lock`, so
 * `tabby lab fault` (another process) and the lab never lose each other's updates.
 * `stopMembers(stateDir)` (teardown) kills all and removes their directories and sockets.
 */
export { MEMBERS_FILE, readMembers, startMember, stopMember, memberNamed, isMemberProcess, type MemberList, type MemberRecord, type MemberRole } from './members.js';
export { ControlPlane, stopMembers, memberDir, socketDirOf, APISERVER_PORT, ETCD_CLIENT_PORT, ETCD_PEER_PORT, type ControlPlaneOptions, type DistributedState, type LabCa, type RemoteAgent } from './control-plane.js';
export { HostForwarder, relayArgs, type RelayRoute } from './relay.js';
