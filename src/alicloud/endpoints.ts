// Which RDS endpoint serves a region. The central endpoint serves a fixed set of regions (and the
// finance and gov regions but cn-hangzhou-finance); every other region has its own host.

export const CENTRAL_ENDPOINT = 'https://rds.aliyuncs.com';

const CENTRAL_REGIONS: ReadonlySet<string> = new Set([
  'cn-qingdao',
  'cn-beijing',
  'cn-hangzhou',
  'cn-shanghai',
  'cn-shenzhen',
  'cn-heyuan',
  'cn-hongkong',
  'ap-southeast-1',
  'us-west-1',
  'us-east-1',
]);

/**
 * The region ids ApsaraDB RDS is offered in (public regions, finance and gov clouds). A region
 * missing here can still be watched by giving its `endpoint`; without one, a typo would fail at
 * run time for ever as a DNS error, so the configuration check refuses it.
 */
export const KNOWN_REGIONS: ReadonlySet<string> = new Set([
  // mainland China
  'cn-qingdao',
  'cn-beijing',
  'cn-zhangjiakou',
  'cn-huhehaote',
  'cn-wulanchabu',
  'cn-hangzhou',
  'cn-shanghai',
  'cn-nanjing',
  'cn-fuzhou',
  'cn-wuhan-lr',
  'cn-shenzhen',
  'cn-heyuan',
  'cn-guangzhou',
  'cn-chengdu',
  'cn-hongkong',
  // finance and gov clouds
  'cn-hangzhou-finance',
  'cn-shanghai-finance-1',
  'cn-shenzhen-finance-1',
  'cn-beijing-finance-1',
  'cn-north-2-gov-1',
  // Asia Pacific
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ap-southeast-5',
  'ap-southeast-6',
  'ap-southeast-7',
  'ap-south-1',
  // Europe, Americas, Middle East
  'eu-central-1',
  'eu-west-1',
  'us-west-1',
  'us-east-1',
  'na-south-1',
  'me-east-1',
  'me-central-1',
]);

/** The default public endpoint for `regionId`. */
export function endpointForRegion(regionId: string): string {
  const centralSpecial = (regionId.includes('-finance') || regionId.includes('-gov')) && regionId !== 'cn-hangzhou-finance';
  if (CENTRAL_REGIONS.has(regionId) || centralSpecial) return CENTRAL_ENDPOINT;
  return `https://rds.${regionId}.aliyuncs.com`;
}

/** Config precedence: the region's endpoint, then the account's, then the region default. */
export function resolveEndpoint(regionId: string, regionEndpoint?: string, accountEndpoint?: string): string {
  return (regionEndpoint ?? accountEndpoint ?? endpointForRegion(regionId)).replace(/\/+$/, '');
}
