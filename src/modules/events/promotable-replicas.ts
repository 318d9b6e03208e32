/**
 * How many replicas of the master answering CLUSTER NODES (the `myself` line) could take
 * over its slots, as that master sees the cluster: replicas not flagged `fail`, `fail?`
 * (unreachable to it for the node timeout) or `noaddr`. Unlike ROLE, this counts a
 * replica whose replication link is down or still syncing: Redis may still promote it
 * (while its data age is within cluster-replica-validity-factor × node timeout), and it
 * lacks what the master took while it was away. `undefined` when the answering node is no
 * master.
 */
export function promotableReplicas(clusterNodes: string): number | undefined {
  const nodes = clusterNodes
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id = '', , flags = '', masterId = '-'] = line.split(' ');
      return { id, flags: flags.split(','), masterId };
    });
  const me = nodes.find((node) => node.flags.includes('myself'));
  if (!me?.flags.includes('master')) return undefined;
  return nodes.filter((node) => node.masterId === me.id && !node.flags.some((flag) => flag === 'fail' || flag === 'fail?' || flag === 'noaddr')).length;
}
