// Which RDS endpoint serves a region. The central endpoint serves a fixed set of regions (and the
// finance and gov regions but cn-hangzhou-finance); every other region has its own host.

export const CENTRAL_ENDPOINT = 'https://rds.aliyuncs.com';

const CENTRAL_REGIONS: ReadonlySet<string> = new Set([
  'cn-qingdao', 'cn-beijing', 'cn-hangzhou', 'cn-shanghai', 'cn-shenzhen', 'cn-heyuan', 'cn-hongkong',
  'ap-southeast-1', 'us-west-1', 'us-east-1',
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
