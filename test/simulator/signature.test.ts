import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { computeSignature, percentEncode } from '../../simulator/signature.js';

describe('simulator/signature', () => {
  it("percentEncode encodes what encodeURIComponent leaves alone: ! ' ( ) *", () => {
    assert.equal(percentEncode("a!b'c(d)e*f"), 'a%21b%27c%28d%29e%2Af');
    assert.equal(percentEncode('a b+c/d~e'), 'a%20b%2Bc%2Fd~e');
    assert.equal(percentEncode('杭州'), '%E6%9D%AD%E5%B7%9E');
  });

  it('computeSignature reproduces the documented DescribeRegions example', () => {
    const params = {
      Version: '2014-05-26',
      Action: 'DescribeRegions',
      Format: 'XML',
      SignatureMethod: 'HMAC-SHA1',
      SignatureNonce: '3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf',
      SignatureVersion: '1.0',
      AccessKeyId: 'testid',
      Timestamp: '2016-02-23T12:46:24Z',
    };
    // Written out by hand from the algorithm: keys sorted, pairs percent-encoded, then the whole
    // canonical string encoded again (so ':' in Timestamp becomes %253A).
    const stringToSign =
      'GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1' +
      '%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0' +
      '%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26';
    const byHand = createHmac('sha1', 'testsecret&').update(stringToSign).digest('base64');
    assert.equal(byHand, 'OLeaidS1JvxuMvnyHOwuJ+uX5qY=');
    assert.equal(computeSignature('GET', params, 'testsecret'), byHand);
  });

  it('ignores a Signature parameter and depends on method, secret and every value', () => {
    const params = { Action: 'DescribeRegions', Timestamp: '2026-11-20T16:20:00Z', Note: "it's (a) *test*!" };
    const base = computeSignature('POST', params, 's3cret');
    assert.equal(computeSignature('POST', { ...params, Signature: 'whatever' }, 's3cret'), base);
    assert.notEqual(computeSignature('GET', params, 's3cret'), base);
    assert.notEqual(computeSignature('POST', params, 's3cret2'), base);
    assert.notEqual(computeSignature('POST', { ...params, Note: "it's (a) *test*?" }, 's3cret'), base);
  });
});
