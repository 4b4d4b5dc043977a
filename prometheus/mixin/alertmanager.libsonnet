// An Alertmanager configuration to copy: one notification per alert kind, account and region;
// the cause silences its consequences (inhibit_rules, in this order): ExporterDown > ApiAuthFailing
// (per account) > region level (per region) > PollFailing / InstanceGone (per instance) > the
// instance's late-alerts; and Failed > Overdue.
{
  local a(names) = 'alertname=~"%s"' % std.join('|', ['AlicloudRdsBackup' + n for n in names]),
  local late = ['Overdue', 'NoUsableBackup', 'RestoreWindowLagging', 'LogChainGap', 'CrossRegionStale', 'CrossRegionNeverSucceeded', 'SizeDrop', 'Stuck'],
  local instanceLevel = ['PollFailing', 'InstanceGone'],
  local regionLevel = ['RegionUnreadable', 'ApiThrottled', 'DiscoveryFailing'],
  local c = $._config.alertmanager,

  alertmanagerConfig+:: {
    route: {
      receiver: 'page',
      group_by: c.groupBy,
      group_wait: c.groupWait,
      group_interval: c.groupInterval,
      repeat_interval: c.repeatInterval,
      routes: [
        { matchers: ['severity="warning"'], receiver: 'ticket' },
        { matchers: ['severity="info"'], receiver: 'notice' },
      ],
    },
    // Fill in: pagerduty_configs, webhook_configs, email_configs, ... A receiver left empty drops
    // what reaches it.
    receivers: [{ name: 'page' }, { name: 'ticket' }, { name: 'notice' }],
    inhibit_rules: [
      {
        source_matchers: ['alertname="AlicloudRdsBackupExporterDown"'],
        target_matchers: ['alertname=~"AlicloudRdsBackup.+"', 'alertname!="AlicloudRdsBackupExporterDown"'],
      },
      {
        source_matchers: ['alertname="AlicloudRdsBackupApiAuthFailing"'],
        target_matchers: [a(['ReadForbidden'] + regionLevel + instanceLevel + late)],
        equal: ['account'],
      },
      {
        source_matchers: ['alertname="AlicloudRdsBackupRegionUnreadable"'],
        target_matchers: [a(['ApiThrottled', 'DiscoveryFailing'] + instanceLevel + late)],
        equal: ['account', 'region'],
      },
      {
        source_matchers: ['alertname="AlicloudRdsBackupApiThrottled"'],
        target_matchers: [a(instanceLevel + late)],
        equal: ['account', 'region'],
      },
      {
        source_matchers: [a(instanceLevel)],
        target_matchers: [a(late)],
        equal: ['account', 'region', 'instance_id'],
      },
      {
        source_matchers: ['alertname="AlicloudRdsBackupFailed"'],
        target_matchers: [a(['Overdue', 'FailedManual'])],
        equal: ['account', 'region', 'instance_id'],
      },
    ],
  },
}
