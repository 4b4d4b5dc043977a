import assert from 'node:assert/strict';
import { endpointForRegion, KNOWN_REGIONS, resolveEndpoint } from '../../src/alicloud/endpoints.js';

describe('endpoints', () => {
  it('uses the central endpoint for the regions it serves', () => {
    for (const region of [
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
      'cn-shanghai-finance-1',
      'cn-north-2-gov-1',
    ]) {
      assert.equal(endpointForRegion(region), 'https://rds.aliyuncs.com', region);
    }
  });

  it('uses the regional endpoint elsewhere, cn-hangzhou-finance included', () => {
    assert.equal(endpointForRegion('cn-zhangjiakou'), 'https://rds.cn-zhangjiakou.aliyuncs.com');
    assert.equal(endpointForRegion('ap-northeast-1'), 'https://rds.ap-northeast-1.aliyuncs.com');
    assert.equal(endpointForRegion('eu-central-1'), 'https://rds.eu-central-1.aliyuncs.com');
    assert.equal(endpointForRegion('cn-hangzhou-finance'), 'https://rds.cn-hangzhou-finance.aliyuncs.com');
  });

  it('lets the region override the account, and the account the default; drops a trailing slash', () => {
    assert.equal(
      resolveEndpoint('cn-hangzhou', 'https://rds-vpc.cn-hangzhou.aliyuncs.com/', 'https://acct.example'),
      'https://rds-vpc.cn-hangzhou.aliyuncs.com',
    );
    assert.equal(resolveEndpoint('eu-central-1', undefined, 'https://acct.example'), 'https://acct.example');
    assert.equal(resolveEndpoint('eu-central-1'), 'https://rds.eu-central-1.aliyuncs.com');
  });

  it('knows every region it has an endpoint rule for, each of the region-id form', () => {
    for (const region of [
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
      'cn-shanghai-finance-1',
      'cn-north-2-gov-1',
      'cn-hangzhou-finance',
      'cn-zhangjiakou',
      'ap-northeast-1',
      'eu-central-1',
    ]) {
      assert.ok(KNOWN_REGIONS.has(region), region);
    }
    for (const region of KNOWN_REGIONS) assert.match(region, /^[a-z]{2,}(-[a-z0-9]+)+$/);
    assert.ok(!KNOWN_REGIONS.has('cn-hangzou'), 'a typo is not a region');
  });
});
