// Every action the exporter calls, through the real client against the simulator: the real answer
// (empty lists included) is read, and a 200 whose body is not of the action's documented shape —
// `{}`, or any of the simulator's junk shapes — rejects with MalformedResponse, never reads as
// "nothing there" (no tasks, no such job, no backups, no files).
import assert from 'node:assert/strict';
import { ApiError } from '../../src/alicloud/errors.js';
import type { RdsClient } from '../../src/alicloud/rds-client.js';
import { startSimulator, type FaultKind, type Simulator } from '../../simulator/server.js';
import { testClient } from '../helpers.js';

const HOUR = 3600_000;

describe('answers not of the documented shape', function () {
  this.timeout(30_000);
  let sim: Simulator;
  let client: RdsClient;

  beforeEach(async () => {
    sim = await startSimulator();
    // An instance with nothing yet: every list in its answers is empty.
    sim.world.addInstance('rm-shape', { engine: 'MySQL' });
    sim.world.addInstance('rm-shape-ss', { engine: 'SQLServer' });
    client = testClient(sim.url);
  });
  afterEach(async () => {
    client.close();
    await sim.close();
  });

  const now = () => sim.world.now();
  const calls: Array<[action: string, call: () => Promise<unknown>]> = [
    ['DescribeBackupTasks', () => client.describeBackupTasks('rm-shape')],
    ['DescribeBackupTasks by id', () => client.describeBackupTasks('rm-shape', '4762614')],
    ['DescribeBackups', () => client.describeBackups('rm-shape', now() - HOUR, now())],
    ['DescribeBackupPolicy', () => client.describeBackupPolicy('rm-shape')],
    ['DescribeDBInstances', () => client.describeDBInstances('cn-hangzhou')],
    ['ListTagResources', () => client.listTags('cn-hangzhou', ['rm-shape'])],
    ['DescribeLocalAvailableRecoveryTime', () => client.describeRestoreWindow('rm-shape')],
    ['DescribeBinlogFiles', () => client.describeBinlogFiles('rm-shape', now() - HOUR, now())],
    ['DescribeLogBackupFiles', () => client.describeLogBackupFiles('rm-shape-ss', now() - HOUR, now())],
    ['DescribeCrossRegionBackupDBInstance', () => client.describeCrossRegionSettings('cn-hangzhou', 'rm-shape')],
    ['DescribeCrossRegionBackups', () => client.describeCrossRegionBackups('cn-hangzhou', 'rm-shape', now() - HOUR, now())],
    ['DescribeResourceUsage', () => client.describeBackupStorage('rm-shape')],
  ];

  for (const [action, call] of calls) {
    it(`${action}: the real answer with nothing in it is read; {} and every junk shape are MalformedResponse`, async () => {
      await call();
      for (const kind of ['empty-object', ...Array.from({ length: 40 }, () => 'junk-shape')] as FaultKind[]) {
        sim.inject({ kind });
        const err = await call().then(
          () => undefined,
          (e: unknown) => e,
        );
        assert.ok(err instanceof ApiError, `${kind}: rejected with an ApiError (${String(err)})`);
        assert.equal(err.code, 'MalformedResponse', `${kind}: ${err.message}`);
        assert.equal(err.kind, 'malformed');
      }
      await call();
    });
  }
});
