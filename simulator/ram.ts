/**
 * RAM authorisation as the gateway applies it after authentication: each AccessKey may be
 * granted only some actions (a least-privilege RAM user); any other action answers
 * `Forbidden.RAM`, HTTP 403, with the `AccessDeniedDetail` object the service adds to a RAM
 * denial. A key without a grant list may call every action.
 */

export const FORBIDDEN_RAM_STATUS = 403;
export const FORBIDDEN_RAM_MESSAGE = 'User not authorized to operate on the specified resource, or this API does not support RAM.';

/** The account and RAM user the simulator's keys belong to, as a denial names them. */
const ACCOUNT_ID = '1234567890123456';
const RAM_USER = 'rds-backup-exporter';

export class RamGrants {
  /** AccessKeyId → the actions granted; absent = every action */
  private readonly byKey = new Map<string, ReadonlySet<string>>();

  /** Grants `accessKeyId` exactly `actions` (e.g. `['DescribeBackups']`); undefined grants every action. */
  grant(accessKeyId: string, actions: readonly string[] | undefined): void {
    if (actions === undefined) this.byKey.delete(accessKeyId);
    else this.byKey.set(accessKeyId, new Set(actions));
  }

  allows(accessKeyId: string, action: string): boolean {
    return this.byKey.get(accessKeyId)?.has(action) ?? true;
  }
}

/** The error fields of a RAM denial of `action` (without RequestId, HostId and Recommend, which every error carries). */
export function forbiddenRamBody(action: string): Record<string, unknown> {
  return {
    Code: 'Forbidden.RAM',
    Message: FORBIDDEN_RAM_MESSAGE,
    AccessDeniedDetail: {
      PolicyType: 'AccountLevelIdentityBasedPolicy',
      AuthPrincipalOwnerId: ACCOUNT_ID,
      EncodedDiagnosticMessage: Buffer.from(`implicit deny of rds:${action} for ${RAM_USER}`).toString('base64'),
      AuthPrincipalType: 'SubUser',
      AuthPrincipalDisplayName: RAM_USER,
      NoPermissionType: 'ImplicitDeny',
      AuthAction: `rds:${action}`,
    },
  };
}
