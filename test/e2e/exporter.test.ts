// The exporter against the simulator over real HTTP with the real pop-core client: each behaviour
// the core promises, seen from /metrics.
import assert from 'node:assert/strict';
import { World } from '../../simulator/world.js';
import { sample, series, startRig, testConfig, until, type Rig } from '../helpers.js';

const A = { account: 'test', region: 'cn-hangzhou', instance_id: 'rm-test-01' };
const TASKS = 'DescribeBackupTasks';
/** The DescribeBackupTasks requests the simulator received (the exporter also asks other actions). */
const taskCalls = (rig: Rig) => rig.sim.requests.filter((r) => r.action === TASKS);

describe('exporter end to end', () => {
  let rig: Rig;
  afterEach(async () => rig?.close());

  describe('job lifecycle', () => {
    it('shows a running task, then counts its failure exactly once when it leaves the listing', async () => {
      rig = await startRig();
      const job = rig.sim.world.addJob('rm-test-01', { status: 'Uploading', progressStatus: 'Uploading', process: 25, mode: 'Automated' });
      await rig.cycle();
      let text = await rig.scrape();
      assert.equal(sample(text, 'alicloud_rds_backup_tasks', { ...A, status: 'Uploading' }), 1);
      assert.equal(sample(text, 'alicloud_rds_backup_tasks', { ...A, status: 'Failed' }), 0);
      assert.equal(
        sample(text, 'alicloud_rds_backup_task_progress_ratio', { ...A, backup_job_id: job.jobId, job_mode: 'Automated', task_action: 'NormalBackupTask' }),
        0.25,
      );
      assert.equal(sample(text, 'alicloud_rds_backup_task_failures_total', { ...A, job_mode: 'Automated' }), 0);
      assert.equal(sample(text, 'alicloud_rds_backup_task_failures_total', { ...A, job_mode: 'Manual' }), 0);

      rig.sim.world.finishJob('rm-test-01', job.jobId, 'Failed');
      await rig.cycle();
      await rig.cycle();
      await rig.cycle();
      text = await rig.scrape();
      assert.equal(sample(text, 'alicloud_rds_backup_task_failures_total', { ...A, job_mode: 'Automated' }), 1);
      assert.equal(sample(text, 'alicloud_rds_backup_task_completions_total', { ...A, job_mode: 'Automated', status: 'Failed' }), 1);
      assert.equal(sample(text, 'alicloud_rds_backup_task_completions_total', { ...A, job_mode: 'Automated', status: 'Finished' }), 0);
      assert.equal(sample(text, 'alicloud_rds_backup_tasks', { ...A, status: 'Uploading' }), 0);
      assert.deepEqual(series(text, 'alicloud_rds_backup_task_progress_ratio'), [], 'the progress series ends with the task');
      const byId = taskCalls(rig).filter((r) => r.params.BackupJobId === job.jobId);
      assert.equal(byId.length, 1, 'the departed job is asked about once');
      assert.ok(
        rig.logs.records().some((r) => r.msg === 'backup job failed' && r.backup_job_id === job.jobId && r.instance_id === 'rm-test-01'),
        "rig.logs.records().some((r) => r.msg === 'backup job failed' && r.backup_job_id === job.jobId && r.instance_id === 'rm-test-01')",
      );
    });

    it('counts a task listed as Failed when first seen, and never again', async () => {
      rig = await startRig();
      const job = rig.sim.world.addJob('rm-test-01', { status: 'Uploading', process: 60, mode: 'Manual', taskAction: 'TempBackupTask' });
      rig.sim.world.setJob('rm-test-01', job.jobId, { status: 'Failed' });
      await rig.cycle();
      let text = await rig.scrape();
      assert.equal(sample(text, 'alicloud_rds_backup_tasks', { ...A, status: 'Failed' }), 1);
      assert.equal(sample(text, 'alicloud_rds_backup_task_failures_total', { ...A, job_mode: 'Manual' }), 1);
      rig.sim.world.finishJob('rm-test-01', job.jobId, 'Failed');
      await rig.cycle();
      await rig.cycle();
      text = await rig.scrape();
      assert.equal(sample(text, 'alicloud_rds_backup_task_failures_total', { ...A, job_mode: 'Manual' }), 1);
      assert.equal(sample(text, 'alicloud_rds_backup_task_completions_total', { ...A, job_mode: 'Manual', status: 'Failed' }), 1);
      assert.equal(taskCalls(rig).filter((r) => r.params.BackupJobId !== undefined).length, 0, 'an already-counted job needs no look-up');
    });

    it('counts a finished job as a completion and not as a failure', async () => {
      rig = await startRig();
      const job = rig.sim.world.addJob('rm-test-01', { status: 'Uploading', process: 90 });
      await rig.cycle();
      rig.sim.world.finishJob('rm-test-01', job.jobId, 'Finished');
      await rig.cycle();
      const text = await rig.scrape();
      assert.equal(sample(text, 'alicloud_rds_backup_task_completions_total', { ...A, job_mode: 'Automated', status: 'Finished' }), 1);
      assert.equal(sample(text, 'alicloud_rds_backup_task_failures_total', { ...A, job_mode: 'Automated' }), 0);
    });

    it('follows the simulator through whole job lives and counts exactly its failures', async () => {
      rig = await startRig({ sim: { seed: 7 } });
      rig.sim.world.failureRate = 0.4;
      const started: string[] = [];
      for (let i = 0; i < 40; i++) {
        if (i % 3 === 0 && i < 30) started.push(rig.sim.world.addJob('rm-test-01', { mode: i % 2 ? 'Manual' : 'Automated' }).jobId);
        rig.sim.world.step();
        await rig.cycle();
      }
      const ended = started.map((id) => rig.sim.world.job('rm-test-01', id)!);
      assert.ok(
        ended.every((j) => j.outcome !== undefined),
        'every job ended',
      );
      const text = await rig.scrape();
      for (const mode of ['Automated', 'Manual'] as const) {
        const failed = ended.filter((j) => j.mode === mode && j.outcome === 'Failed').length;
        const finished = ended.filter((j) => j.mode === mode && j.outcome === 'Finished').length;
        assert.equal(sample(text, 'alicloud_rds_backup_task_failures_total', { ...A, job_mode: mode }), failed, `${mode} failures`);
        assert.equal(sample(text, 'alicloud_rds_backup_task_completions_total', { ...A, job_mode: mode, status: 'Finished' }), finished, `${mode} finished`);
      }
      assert.ok(ended.some((j) => j.outcome === 'Failed') && ended.some((j) => j.outcome === 'Finished'), 'the scenario has both outcomes');
    });

    it('records Unknown when the API no longer knows a departed job, after three misses and 30 minutes since it left the listing', async () => {
      rig = await startRig();
      const job = rig.sim.world.addJob('rm-test-01', { status: 'Uploading', process: 10 });
      await rig.cycle();
      rig.sim.world.finishJob('rm-test-01', job.jobId, 'Failed');
      rig.sim.world.forgetJob('rm-test-01', job.jobId);
      const unknown = async () => sample(await rig!.scrape(), 'alicloud_rds_backup_task_completions_total', { ...A, job_mode: 'Automated', status: 'Unknown' });
      // the job leaves the listing now; three misses within seconds settle nothing
      for (let i = 0; i < 5; i++) {
        await rig.cycle();
        rig.advance(5000);
      }
      assert.equal(await unknown(), 0, 'not before 30 minutes since it left the listing');
      rig.advance(30 * 60_000);
      await rig.cycle();
      const text = await rig.scrape();
      assert.equal(sample(text, 'alicloud_rds_backup_task_completions_total', { ...A, job_mode: 'Automated', status: 'Unknown' }), 1);
      assert.equal(sample(text, 'alicloud_rds_backup_task_failures_total', { ...A, job_mode: 'Automated' }), 0);
    });

    it('keeps a departed job pending through look-up errors, and counts it once they pass', async () => {
      rig = await startRig({ config: { poll: { max_retries: 0 } } });
      const job = rig.sim.world.addJob('rm-test-01', { status: 'Uploading', process: 10 });
      await rig.cycle();
      rig.sim.world.finishJob('rm-test-01', job.jobId, 'Failed');
      rig.sim.inject({ action: TASKS, kind: 'InternalError', params: { BackupJobId: job.jobId }, times: 5 });
      for (let i = 0; i < 5; i++) await rig.cycle();
      let text = await rig.scrape();
      assert.equal(sample(text, 'alicloud_rds_backup_task_failures_total', { ...A, job_mode: 'Automated' }), 0);
      assert.equal(sample(text, 'alicloud_rds_backup_poll_success', A), 0, 'a failed look-up fails the poll');
      assert.equal(sample(text, 'alicloud_rds_backup_tasks', { ...A, status: 'Uploading' }), 0, 'the listing itself is shown');
      await rig.cycle();
      text = await rig.scrape();
      assert.equal(sample(text, 'alicloud_rds_backup_task_failures_total', { ...A, job_mode: 'Automated' }), 1);
      assert.equal(sample(text, 'alicloud_rds_backup_task_completions_total', { ...A, job_mode: 'Automated', status: 'Unknown' }), 0, 'errors are not misses');
      assert.equal(sample(text, 'alicloud_rds_backup_poll_success', A), 1);
    });

    it('keeps a departed job pending through {} and junk answers to its look-ups, however long, and counts its real end once', async () => {
      rig = await startRig({ config: { poll: { max_retries: 0 } } });
      const job = rig.sim.world.addJob('rm-test-01', { status: 'Uploading', process: 10 });
      await rig.cycle();
      rig.sim.world.finishJob('rm-test-01', job.jobId, 'Failed');
      for (const kind of ['empty-object', 'junk-shape'] as const) rig.sim.inject({ action: TASKS, kind, params: { BackupJobId: job.jobId }, times: 4 });
      for (let i = 0; i < 8; i++) {
        await rig.cycle();
        rig.advance(10 * 60_000);
      }
      let text = await rig.scrape();
      assert.equal(
        sample(text, 'alicloud_rds_backup_task_completions_total', { ...A, job_mode: 'Automated', status: 'Unknown' }),
        0,
        'malformed answers are not misses',
      );
      assert.equal(sample(text, 'alicloud_rds_backup_pending_job_lookups', A), 1);
      await rig.cycle();
      text = await rig.scrape();
      assert.equal(sample(text, 'alicloud_rds_backup_task_failures_total', { ...A, job_mode: 'Automated' }), 1);
      assert.equal(sample(text, 'alicloud_rds_backup_task_completions_total', { ...A, job_mode: 'Automated', status: 'Unknown' }), 0);
    });

    it('does not treat tracked jobs as departed when the listing fails', async () => {
      rig = await startRig();
      const job = rig.sim.world.addJob('rm-test-01', { status: 'Uploading', process: 30 });
      await rig.cycle();
      rig.sim.inject({ action: TASKS, kind: 'Forbidden.RAM', times: 3 });
      for (let i = 0; i < 3; i++) await rig.cycle();
      assert.equal(taskCalls(rig).filter((r) => r.params.BackupJobId !== undefined).length, 0, 'no look-ups');
      rig.sim.world.finishJob('rm-test-01', job.jobId, 'Failed');
      await rig.cycle();
      assert.equal(sample(await rig.scrape(), 'alicloud_rds_backup_task_failures_total', { ...A, job_mode: 'Automated' }), 1);
    });
  });

  describe('data quirks', () => {
    it('keeps every digit of a job id beyond 2^53 sent as a JSON number', async () => {
      rig = await startRig();
      rig.sim.world.instance('rm-test-01')!.quirks.idsAsNumbers = true;
      const job = rig.sim.world.addJob('rm-test-01', { jobId: '90071992547409931234', status: 'Uploading', process: 40 });
      await rig.cycle();
      const text = await rig.scrape();
      assert.equal(sample(text, 'alicloud_rds_backup_task_progress_ratio', { ...A, backup_job_id: '90071992547409931234' }), 0.4);
      rig.sim.world.finishJob('rm-test-01', job.jobId, 'Failed');
      await rig.cycle();
      assert.equal(taskCalls(rig).at(-1)?.params.BackupJobId, '90071992547409931234', 'looked up by its exact id');
      assert.equal(sample(await rig.scrape(), 'alicloud_rds_backup_task_failures_total', { ...A, job_mode: 'Automated' }), 1);
    });

    it('serves all seven task statuses by default, and only those a task is in with metrics.task_statuses: nonzero', async () => {
      rig = await startRig();
      rig.sim.world.addJob('rm-test-01', { status: 'Uploading', process: 30 });
      await rig.cycle();
      assert.equal(series(await rig.scrape(), 'alicloud_rds_backup_tasks', A).length, 7);
      const config = testConfig(rig.sim);
      config.metrics.task_statuses = 'nonzero';
      await rig.exporter.reload(config);
      assert.deepEqual(
        series(await rig.scrape(), 'alicloud_rds_backup_tasks', A).map((s) => [s.labels.status, s.value]),
        [['Uploading', 1]],
      );
    });

    it('counts a task without BackupStatus under its BackupProgressStatus', async () => {
      rig = await startRig();
      rig.sim.world.instance('rm-test-01')!.quirks.omitBackupStatus = true;
      rig.sim.world.addJob('rm-test-01', { status: 'Preparing', progressStatus: 'Preparing', process: 0 });
      await rig.cycle();
      const text = await rig.scrape();
      assert.equal(sample(text, 'alicloud_rds_backup_tasks', { ...A, status: 'Preparing' }), 1);
    });

    it('reads a lone job sent as an object; a reply without Items is MalformedResponse, never "no tasks"', async () => {
      rig = await startRig({ config: { regions: { 'cn-hangzhou': ['rm-test-01', 'rm-test-02'] } } });
      rig.sim.world.instance('rm-test-01')!.quirks.singleObject = true;
      rig.sim.world.addJob('rm-test-01', { status: 'Uploading', process: 50 });
      rig.sim.world.addJob('rm-test-02', { status: 'Uploading', process: 50 });
      await rig.cycle();
      rig.sim.inject({ action: TASKS, kind: 'empty-object', instanceId: 'rm-test-02', times: Infinity });
      await rig.cycle();
      const text = await rig.scrape();
      assert.equal(sample(text, 'alicloud_rds_backup_tasks', { ...A, status: 'Uploading' }), 1);
      assert.equal(sample(text, 'alicloud_rds_backup_poll_success', { instance_id: 'rm-test-02' }), 0);
      assert.equal(sample(text, 'alicloud_rds_backup_pending_job_lookups', { instance_id: 'rm-test-02' }), 0, 'its job did not leave the listing');
      assert.ok(
        (sample(text, 'alicloud_rds_backup_api_requests_total', { action: TASKS, code: 'MalformedResponse' }) ?? 0) > 0,
        'counted as MalformedResponse',
      );
    });
  });

  describe('failures stay where they happen', () => {
    it('one failing instance leaves the others untouched', async () => {
      rig = await startRig({ config: { regions: { 'cn-hangzhou': ['rm-test-01'], 'cn-shanghai': ['rm-test-02'] } } });
      rig.sim.world.addJob('rm-test-01', { status: 'Uploading', process: 30 });
      rig.sim.world.addJob('rm-test-02', { status: 'Uploading', process: 70 });
      await rig.cycle();
      rig.sim.inject({ action: TASKS, kind: 'Forbidden.RAM', instanceId: 'rm-test-02', times: Infinity });
      await rig.cycle();
      const text = await rig.scrape();
      assert.equal(sample(text, 'alicloud_rds_backup_poll_success', A), 1);
      assert.equal(sample(text, 'alicloud_rds_backup_poll_success', { instance_id: 'rm-test-02' }), 0);
      assert.equal(sample(text, 'alicloud_rds_backup_tasks', { ...A, status: 'Uploading' }), 1);
      assert.deepEqual(series(text, 'alicloud_rds_backup_tasks', { instance_id: 'rm-test-02' }), [], 'no stale listing for the failing instance');
      assert.equal(series(text, 'alicloud_rds_backup_task_failures_total', { instance_id: 'rm-test-02' }).length, 2, 'its counters stay');
      assert.ok(sample(text, 'alicloud_rds_backup_last_poll_timestamp_seconds', { instance_id: 'rm-test-02' })! > 0, 'last success kept');
      assert.equal(
        sample(text, 'alicloud_rds_backup_api_requests_total', {
          account: 'test',
          region: 'cn-shanghai',
          action: 'DescribeBackupTasks',
          code: 'Forbidden.RAM',
        }),
        1,
      );
      const warn = rig.logs.records().filter((r) => r.level === 'warn' && r.instance_id === 'rm-test-02');
      assert.equal(warn.length, 1, 'the failure is logged once, with its instance');
      assert.equal(warn[0]?.code, 'Forbidden.RAM');
      assert.equal(warn[0]?.account, 'test');
      assert.equal(warn[0]?.region, 'cn-shanghai');
      await rig.cycle();
      assert.equal(rig.logs.records().filter((r) => r.level === 'warn' && r.instance_id === 'rm-test-02').length, 1, 'not again while it keeps failing');
      rig.sim.clearFaults();
      await rig.cycle();
      assert.equal(sample(await rig.scrape(), 'alicloud_rds_backup_poll_success', { instance_id: 'rm-test-02' }), 1);
      assert.ok(
        rig.logs.records().some((r) => r.msg === 'poll recovered' && r.instance_id === 'rm-test-02'),
        "rig.logs.records().some((r) => r.msg === 'poll recovered' && r.instance_id === 'rm-test-02')",
      );
    });
  });

  describe('API calls', () => {
    it('retries throttling and 5xx with backoff, and succeeds', async () => {
      rig = await startRig({ config: { poll: { max_retries: 3 } } });
      rig.sim.inject({ action: TASKS, kind: 'Throttling', times: 1 });
      rig.sim.inject({ action: TASKS, kind: 'ServiceUnavailable', times: 1 });
      rig.sim.inject({ action: TASKS, kind: 'InternalError', times: 1 });
      await rig.cycle();
      const text = await rig.scrape();
      assert.equal(sample(text, 'alicloud_rds_backup_poll_success', A), 1);
      const labels = { account: 'test', region: 'cn-hangzhou', action: 'DescribeBackupTasks' };
      for (const code of ['Throttling', 'ServiceUnavailable', 'InternalError', 'OK'])
        assert.equal(sample(text, 'alicloud_rds_backup_api_requests_total', { ...labels, code }), 1, code);
      assert.equal(sample(text, 'alicloud_rds_backup_api_request_duration_seconds_count', labels), 4);
    });

    it('gives up after max_retries retries', async () => {
      rig = await startRig({ config: { poll: { max_retries: 2 } } });
      rig.sim.inject({ action: TASKS, kind: 'Throttling.User', times: Infinity });
      await rig.cycle();
      assert.equal(taskCalls(rig).length, 3);
      assert.equal(sample(await rig.scrape(), 'alicloud_rds_backup_poll_success', A), 0);
    });

    for (const kind of ['Forbidden.RAM', 'InvalidAccessKeyId.NotFound', 'SignatureDoesNotMatch', 'InvalidDBInstanceId.NotFound'] as const) {
      it(`never retries ${kind}`, async () => {
        rig = await startRig({ config: { poll: { max_retries: 3 } } });
        rig.sim.inject({ action: TASKS, kind, times: Infinity });
        await rig.cycle();
        assert.equal(taskCalls(rig).length, 1);
        assert.equal(sample(await rig.scrape(), 'alicloud_rds_backup_api_requests_total', { action: TASKS, code: kind }), 1);
      });
    }

    const junk = [
      ['html502', 'HTTP502'],
      ['empty', 'MalformedResponse'],
      ['http500-no-code', 'HTTP500'],
      ['reset', 'NetworkError'],
      ['hang', 'Timeout'],
    ] as const;
    for (const [kind, code] of junk) {
      it(`classifies ${kind} as ${code}, retries it, and survives`, async () => {
        rig = await startRig({ config: { poll: { max_retries: 1, timeout_seconds: 0.3 } } });
        rig.sim.inject({ action: TASKS, kind, times: 1 });
        await rig.cycle();
        const text = await rig.scrape();
        assert.equal(sample(text, 'alicloud_rds_backup_api_requests_total', { action: TASKS, code }), 1);
        assert.equal(sample(text, 'alicloud_rds_backup_api_requests_total', { action: TASKS, code: 'OK' }), 1);
        assert.equal(sample(text, 'alicloud_rds_backup_poll_success', A), 1);
      });
    }

    it('reports a wrong secret as SignatureDoesNotMatch from the real signature check', async () => {
      rig = await startRig({ config: { accessKeySecret: 'wrong-secret-for-the-demo-key' } });
      await rig.cycle();
      const text = await rig.scrape();
      assert.equal(sample(text, 'alicloud_rds_backup_api_requests_total', { action: TASKS, code: 'SignatureDoesNotMatch' }), 1);
      assert.equal(sample(text, 'alicloud_rds_backup_poll_success', A), 0);
    });

    it('sends every request as a signed POST with no undefined parameters', async () => {
      rig = await startRig();
      const job = rig.sim.world.addJob('rm-test-01', { status: 'Uploading', process: 30 });
      await rig.cycle();
      rig.sim.world.finishJob('rm-test-01', job.jobId, 'Finished');
      await rig.cycle();
      assert.equal(taskCalls(rig).length, 3);
      for (const r of rig.sim.requests) {
        assert.equal(r.method, 'POST');
        assert.equal(r.code, 'OK');
        assert.ok(
          !Object.values(r.params).some((v) => v === 'undefined' || v === 'null'),
          "!Object.values(r.params).some((v) => v === 'undefined' || v === 'null')",
        );
      }
      assert.equal(taskCalls(rig)[0]?.params.BackupJobId, undefined, 'the listing sends no BackupJobId');
    });

    it('holds requests_per_second, every action together', async () => {
      const ids = Array.from({ length: 12 }, (_, i) => `rm-rate-${String(i).padStart(2, '0')}`);
      const rate = 50;
      // the simulator records each request at real time here
      rig = await startRig({ config: { regions: { 'cn-hangzhou': ids }, requestsPerSecond: rate }, sim: { world: new World() } });
      await rig.cycle();
      const times = rig.sim.requests.map((r) => r.at).sort((a, b) => a - b);
      assert.ok(times.length > rate + 10, `enough calls to need pacing (${times.length})`);
      // A burst of `rate`, then `rate` a second: between any two requests i < j, at most
      // rate + rate × (their distance in seconds) requests, plus one for timer rounding.
      for (let i = 0; i < times.length; i++) {
        for (let j = i; j < times.length; j++) {
          const allowed = rate + (rate * (times[j]! - times[i]!)) / 1000 + 1;
          assert.ok(j - i + 1 <= allowed, `${j - i + 1} requests in ${times[j]! - times[i]!} ms`);
        }
      }
      const least = ((times.length - rate) / rate) * 1000;
      assert.ok(times.at(-1)! - times[0]! >= least * 0.9, `${times.length} requests took ${times.at(-1)! - times[0]!} ms, at least ${least} expected`);
    });

    it('holds poll.concurrency across instances', async () => {
      const ids = Array.from({ length: 6 }, (_, i) => `rm-conc-${i}`);
      rig = await startRig({ config: { regions: { 'cn-hangzhou': ids }, poll: { concurrency: 2, timeout_seconds: 0.4, max_retries: 0 } } });
      rig.sim.inject({ action: TASKS, kind: 'hang', times: Infinity });
      const cycle = rig.cycle();
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(taskCalls(rig).length, 2, 'two in flight, four waiting');
      await cycle;
      assert.equal(taskCalls(rig).length, 6);
    });
  });

  describe('scheduling', () => {
    it('skips and counts, per instance, a tick that finds its previous poll still running; the others are polled', async () => {
      rig = await startRig({ config: { regions: { 'cn-hangzhou': ['rm-a', 'rm-b'] }, poll: { timeout_seconds: 0.5, max_retries: 0 } } });
      rig.sim.inject({ action: TASKS, kind: 'hang', instanceId: 'rm-a', times: 1 });
      const first = rig.cycle();
      await until('rm-b published', () => rig.exporter.poller.snapshot.instances.some((i) => i.instanceId === 'rm-b'));
      await rig.cycle();
      await rig.cycle();
      assert.equal(taskCalls(rig).filter((r) => r.params.DBInstanceId === 'rm-b').length, 3, 'rm-b polled at every tick');
      await first;
      const text = await rig.scrape();
      assert.equal(sample(text, 'alicloud_rds_backup_polls_skipped_total', { instance_id: 'rm-a' }), 2);
      assert.equal(sample(text, 'alicloud_rds_backup_polls_skipped_total', { instance_id: 'rm-b' }), 0);
      const skips = rig.logs.records().filter((r) => r.msg === 'poll skipped: the previous poll of this instance is still running');
      assert.equal(skips.length, 1, 'logged once for the run of skips, not at every tick');
      assert.equal(skips[0]!.instance_id, 'rm-a');
      assert.equal(skips[0]!.step, 'DescribeBackupTasks', 'says what the poll is doing');
    });

    it('runs on the cron schedule, at start and on each tick', async function () {
      this.timeout(10000);
      rig = await startRig({ config: { poll: { schedule: '* * * * * *' } }, exporter: { schedule: true } });
      await until('three polls', () => taskCalls(rig).length >= 3, 5000);
      assert.ok(!rig.logs.text.includes('poll skipped'), 'the start-up tick and the first match do not collide');
    });

    it('publishes a poll when it ends, never half of it', async () => {
      rig = await startRig({ config: { poll: { timeout_seconds: 0.5, max_retries: 0 } } });
      rig.sim.world.addJob('rm-test-01', { status: 'Uploading', process: 10 });
      await rig.cycle();
      rig.sim.world.setJob('rm-test-01', rig.sim.world.listedJobs('rm-test-01')[0]!.jobId, { process: 80 });
      // The listing answers, then the backup look (due again) hangs until its time-out.
      rig.advance(11 * 60_000);
      rig.sim.inject({ action: 'DescribeBackups', kind: 'hang', times: 1 });
      const running = rig.cycle();
      await until('listed, and the backup look hanging', () => rig.sim.requests.some((r) => r.action === 'DescribeBackups' && r.httpStatus === 0));
      const during = await rig.scrape();
      assert.equal(series(during, 'alicloud_rds_backup_task_progress_ratio', A)[0]?.value, 0.1, 'the listing of a poll not ended yet is not shown');
      assert.equal(sample(during, 'alicloud_rds_backup_poll_success', A), 1);
      await running;
      const after = await rig.scrape();
      assert.equal(series(after, 'alicloud_rds_backup_task_progress_ratio', A)[0]?.value, 0.8);
      assert.equal(sample(after, 'alicloud_rds_backup_poll_success', A), 0, 'the backup look timed out');
    });
  });

  describe('HTTP', () => {
    it('never calls the API on a scrape', async () => {
      rig = await startRig();
      rig.sim.world.addJob('rm-test-01', { status: 'Uploading', process: 30 });
      await rig.cycle();
      const calls = rig.sim.requests.length;
      const scrapes = await Promise.all(Array.from({ length: 20 }, () => rig.scrape()));
      assert.equal(rig.sim.requests.length, calls);
      assert.equal(new Set(scrapes).size, 1, 'every scrape of one snapshot is the same');
    });

    it('is not ready until the first cycle completes', async () => {
      rig = await startRig();
      assert.equal((await fetch(`${rig.exporter.url}/-/ready`)).status, 503);
      assert.equal((await fetch(`${rig.exporter.url}/-/healthy`)).status, 200);
      await rig.cycle();
      assert.equal((await fetch(`${rig.exporter.url}/-/ready`)).status, 200);
    });

    it('serves a landing page, 404 elsewhere, and OpenMetrics on request', async () => {
      rig = await startRig();
      await rig.cycle();
      const landing = await fetch(`${rig.exporter.url}/`);
      assert.equal(landing.status, 200);
      const page = await landing.text();
      assert.match(page, /href="\/status"[\s\S]*href="\/metrics"[\s\S]*href="\/-\/healthy"[\s\S]*href="\/-\/ready"/);
      assert.match(page, /1 instance watched now \(configured and discovered\)/);
      assert.equal((await fetch(`${rig.exporter.url}/nope`)).status, 404);
      const plain = await fetch(`${rig.exporter.url}/metrics`);
      assert.match(plain.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      const om = await fetch(`${rig.exporter.url}/metrics`, { headers: { accept: 'application/openmetrics-text;version=1.0.0,text/plain;q=0.5' } });
      assert.match(om.headers.get('content-type') ?? '', /^application\/openmetrics-text; version=1\.0\.0/);
      const body = await om.text();
      assert.ok(body.endsWith('# EOF\n'), "body.endsWith('# EOF\\n')");
      assert.match(body, /^alicloud_rds_backup_task_failures_total\{.*job_mode="Automated"\} 0$/m);
    });

    it('serves the same text format after an OpenMetrics scrape (no counter loses _total)', async () => {
      rig = await startRig();
      await rig.cycle();
      const before = await rig.scrape();
      await rig.scrape('application/openmetrics-text; version=1.0.0');
      const after = await rig.scrape();
      assert.match(after, /^alicloud_rds_backup_task_failures_total\{/m, 'counter keeps _total');
      assert.equal(after, before);
    });

    it('serves metrics on a custom telemetry path', async () => {
      rig = await startRig({ exporter: { telemetryPath: '/custom' } });
      assert.equal((await fetch(`${rig.exporter.url}/custom`)).status, 200);
      assert.equal((await fetch(`${rig.exporter.url}/metrics`)).status, 404);
    });
  });
});
