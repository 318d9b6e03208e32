import test from 'ava';
import { promotableReplicas } from './promotable-replicas.ts';

const MASTER = 'a'.repeat(40);
const OTHER_MASTER = 'b'.repeat(40);

/** CLUSTER NODES as the master MASTER answers it, with its replicas' flags. */
function nodesWith(...replicaFlags: string[]): string {
  return [
    `${MASTER} 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-8191`,
    `${OTHER_MASTER} 127.0.0.1:7001@17001 master - 0 1700000000000 2 connected 8192-16383`,
    `${'c'.repeat(40)} 127.0.0.1:7002@17002 slave ${OTHER_MASTER} 0 1700000000000 2 connected`,
    ...replicaFlags.map((flags, index) => `${String(index).repeat(40)} 127.0.0.1:${7003 + index}@${17003 + index} ${flags} ${MASTER} 0 1700000000000 1 connected`),
  ].join('\n') + '\n';
}

test('a replica of this master that the cluster has not failed counts, whether or not its link is up', (t) => {
  t.is(promotableReplicas(nodesWith('slave')), 1);
});

test('replicas flagged failed, possibly failed or without an address do not count', (t) => {
  t.is(promotableReplicas(nodesWith('slave,fail', 'slave,fail?', 'noaddr,slave')), 0);
});

test('replicas of other masters do not count', (t) => {
  t.is(promotableReplicas(nodesWith()), 0);
});

test('a node that is no master has no answer', (t) => {
  const replicaView = `${MASTER} 127.0.0.1:7000@17000 myself,slave ${OTHER_MASTER} 0 0 2 connected\n${OTHER_MASTER} 127.0.0.1:7001@17001 master - 0 0 2 connected 0-16383\n`;
  t.is(promotableReplicas(replicaView), undefined);
});
