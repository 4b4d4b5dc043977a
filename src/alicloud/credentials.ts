// Where an account's keys come from: the configured pair, or @alicloud/credentials' default
// chain (environment, OIDC/RRSA, CLI profile, credentials file, ECS RAM role, credentials URI).
// Either way pop-core gets a provider it asks on every request, so rotated STS tokens are used
// without a restart. Every value handed out is registered with the log scrubber first.
import { DefaultCredentialsProvider } from '@alicloud/credentials';
import { registerSecret } from '../log.js';

export interface CredentialSet {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

export interface CredentialsProvider {
  getCredentials(): Promise<CredentialSet>;
}

/** The chain's own messages can quote a config file or an HTTP body holding secrets: drop them. */
export class CredentialsError extends Error {
  override name = 'CredentialsError';
  constructor() {
    super('no credentials from the default credential chain');
  }
}

function registered(creds: CredentialSet): CredentialSet {
  registerSecret(creds.accessKeyId);
  registerSecret(creds.accessKeySecret);
  registerSecret(creds.securityToken);
  return creds;
}

export function staticCredentials(accessKeyId: string, accessKeySecret: string): CredentialsProvider {
  const creds = registered({ accessKeyId, accessKeySecret });
  return { getCredentials: async () => creds };
}

export function defaultChainCredentials(): CredentialsProvider {
  // The chain remembers the provider that answered last, even when it failed; start afresh after
  // a failure so that a later fix (say, a credentials file appearing) is picked up.
  let chain: DefaultCredentialsProvider | undefined;
  // While the chain searches, it marks each provider it tries as the one to use: a second call
  // during the search would ask that provider alone and fail. Calls wait for a search to end.
  let searching: Promise<unknown> | undefined;
  return {
    async getCredentials() {
      while (searching) await searching.catch(() => undefined);
      let creds;
      try {
        if (chain) {
          creds = await chain.getCredentials();
        } else {
          chain = DefaultCredentialsProvider.builder().build();
          const search = chain.getCredentials();
          searching = search;
          creds = await search.finally(() => (searching = undefined));
        }
      } catch {
        chain = undefined;
        throw new CredentialsError();
      }
      if (!creds?.accessKeyId || !creds.accessKeySecret) throw new CredentialsError();
      const out: CredentialSet = { accessKeyId: creds.accessKeyId, accessKeySecret: creds.accessKeySecret };
      if (creds.securityToken) out.securityToken = creds.securityToken;
      return registered(out);
    },
  };
}
