// GET /status in a real browser: Debian's chromium driven by playwright-core, with JavaScript
// off (the page must not need it), read through the accessibility tree the way a screen reader
// does. SCREENSHOT=docs/status.png rewrites the README's screenshot.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { startRig, type Rig } from '../helpers.js';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
/** The launch flags of ../shared/reference/toolchain.md: no sandbox (containers), no GPU, nothing phoning home. */
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const H = 3600_000;

describe('the status page in a real browser', function () {
  this.timeout(60_000);
  let rig: Rig | undefined;
  let browser: Browser | undefined;
  let dir: string | undefined;

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      if (process.env.CI) throw new Error(`${CHROMIUM} not found: .ci/run must install Debian's chromium`);
      this.skip();
    }
    rig = await startRig({
      config: {
        account: 'prod',
        poll: { schedule: '*/60 * * * * *' },
        regions: { 'cn-hangzhou': ['rm-orders-01', 'rm-orders-02', 'rm-billing-01', 'rm-reports-01'], 'eu-central-1': ['rm-eu-web-01'] },
      },
    });
    const world = rig.sim.world;
    const now = rig.now();
    world.instance('rm-orders-01')!.description = 'Orders primary';
    world.addBackupSet('rm-orders-01', { type: 'FullBackup', status: 'Success', startTime: now - 5 * H, endTime: now - 4 * H });
    world.addJob('rm-orders-01', { status: 'Uploading', progressStatus: 'Uploading', process: 45 });
    // daily schedule, last full backup 30 h ago, then a failed one
    world.addBackupSet('rm-orders-02', { type: 'FullBackup', status: 'Success', startTime: now - 31 * H, endTime: now - 30 * H });
    world.addBackupSet('rm-orders-02', { type: 'FullBackup', status: 'Failed', startTime: now - 7 * H, endTime: now - 6 * H });
    world.instance('rm-eu-web-01')!.policy.preferredBackupPeriod = 'Sunday';
    world.addBackupSet('rm-eu-web-01', { type: 'FullBackup', status: 'Success', startTime: now - 73 * H, endTime: now - 72 * H });
    rig.sim.inject({ kind: 'Forbidden.RAM', instanceId: 'rm-billing-01', action: 'DescribeBackupTasks', times: Infinity });
    // stopped two days ago: its last backup is old, and that is expected
    world.instance('rm-reports-01')!.status = 'Stopped';
    world.addBackupSet('rm-reports-01', { type: 'FullBackup', status: 'Success', startTime: now - 51 * H, endTime: now - 50 * H });
    // no purchased storage: every byte of its backups is billed
    world.instance('rm-eu-web-01')!.storageBytes = 0;
    await rig.cycle();
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
    dir = mkdtempSync(join(tmpdir(), 'rds-status-'));
  });

  after(async () => {
    await browser?.close();
    await rig?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is linked from the landing page and shows every instance, health first, without JavaScript', async () => {
    const page = await browser!.newPage({ javaScriptEnabled: false, viewport: { width: 1280, height: 900 } });
    await page.goto(rig!.exporter.url);
    await page.getByRole('link', { name: 'Backup status' }).click();
    assert.equal(new URL(page.url()).pathname, '/status');
    assert.equal(await page.title(), 'Backup status · Alibaba Cloud RDS backup exporter');

    const health = page.getByRole('region', { name: 'Exporter' });
    assert.match(await health.innerText(), /Watched\s+5 instances \(discovered ones included\) in 2 account regions of 1 account; 1 with failing polls/);
    const state = page.getByRole('banner').getByRole('status');
    assert.match(
      await state.innerText(),
      /^Degraded: the essential reads of 1 of 5 instances fail \(poll_success 0\): the exporter cannot tell whether their backups happen\. 3 instances have a problem\.$/,
    );
    assert.match(await health.innerText(), /Configuration reload\s+successful/);

    const table = page.getByRole('table', { name: /5 of 5 watched instances/ });
    assert.equal(await table.getByRole('row').count(), 6, 'a header row and one per instance');
    assert.deepEqual(await table.getByRole('columnheader').allInnerTexts(), [
      'Account',
      'Region',
      'Instance',
      'Problems',
      'Running tasks',
      'Last successful full backup',
      'Restorable to',
      'Newest failure',
      'Last poll',
    ]);
    const rowOf = (id: string) => table.getByRole('row').filter({ has: page.getByRole('rowheader', { name: new RegExp(`^${id}`) }) });

    const progress = rowOf('rm-orders-01').getByRole('progressbar', { name: /job \d+ progress/ });
    assert.equal(await progress.getAttribute('value'), '45');
    assert.match(await rowOf('rm-orders-01').innerText(), /Orders primary[\s\S]*Uploading[\s\S]*45 %[\s\S]*4 h ago[\s\S]*none known[\s\S]*OK/);
    assert.match(await rowOf('rm-orders-02').innerText(), /1 d 6 h ago Overdue[\s\S]*expected every 1 d, 125 % of the interval[\s\S]*6 h ago/);
    assert.doesNotMatch(await rowOf('rm-eu-web-01').innerText(), /Overdue/, 'weekly schedule, 3 days old');
    assert.match(await rowOf('rm-billing-01').innerText(), /Failed: Forbidden\.RAM/);
    // the Problems cell says what is wrong in words, one list item per problem, severity first
    const problems = async (id: string) => (await rowOf(id).getByRole('cell').nth(2).getByRole('listitem').allInnerTexts()).map((t) => t.replace(/^\S+ /, ''));
    assert.deepEqual(await problems('rm-orders-02'), [
      'Critical: a backup failed 6 h ago, after the last success (1 d 6 h ago)',
      'Critical: the full backup is overdue by 6 h: the last one ended 1 d 6 h ago, one is expected every 1 d',
    ]);
    assert.deepEqual(
      await problems('rm-billing-01'),
      [
        'Critical: the tasks read (DescribeBackupTasks) is refused by RAM (Forbidden.RAM): grant rds:DescribeBackupTasks: the exporter cannot tell whether backups happen',
        'Critical: nothing to restore from: no usable backup set',
      ],
      'it has no backup set at all',
    );
    assert.deepEqual(await problems('rm-reports-01'), ['Note: not expected to back up: the instance is stopped (Stopped)']);
    assert.match((await problems('rm-eu-web-01')).join('\n'), /^Warning: backup storage is [\d.]+ [KMGT]?i?B over the free quota \(billed\)$/);
    assert.equal(await rowOf('rm-orders-01').getByRole('cell').nth(2).innerText(), 'No problem known');
    // problems first: the overdue and the failing instance lead
    const order = await table.getByRole('rowheader').allInnerTexts();
    assert.deepEqual(
      order
        .map((t) => t.split('\n')[0])
        .slice(0, 2)
        .sort(),
      ['rm-billing-01', 'rm-orders-02'],
    );

    const shot = process.env.SCREENSHOT ?? join(dir!, 'status.png');
    await page.screenshot({ path: shot, fullPage: true });
    assert.deepEqual([...readFileSync(shot).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], 'a PNG');
    await page.close();
  });

  it('filters with the form, by region and by part of the id, still without JavaScript', async () => {
    const page = await browser!.newPage({ javaScriptEnabled: false });
    await page.goto(`${rig!.exporter.url}/status`);
    const search = page.getByRole('search', { name: 'Filter instances' });
    await search.getByLabel('Region').selectOption('cn-hangzhou');
    await search.getByLabel('Instance id or description contains').fill('ORDERS');
    await search.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/instance=ORDERS/);
    assert.deepEqual(Object.fromEntries(new URL(page.url()).searchParams), { account: '', region: 'cn-hangzhou', instance: 'ORDERS' });
    const table = page.getByRole('table', { name: /2 of 5 watched instances match the filter/ });
    assert.deepEqual((await table.getByRole('rowheader').allInnerTexts()).map((t) => t.split('\n')[0]).sort(), ['rm-orders-01', 'rm-orders-02']);
    await page.getByRole('link', { name: 'Clear' }).click();
    assert.equal(await page.getByRole('table').getByRole('rowheader').count(), 5);
    await page.close();
  });
});
