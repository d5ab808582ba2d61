import { domainToASCII } from 'node:url';
import type { AccountDirectory } from '@posthorn/contracts';

/**
 * Whether a domain is one of ours, compared in A-label form: smtp-server hands us U-labels
 * (`bücher.example`) while the directory may list the A-label (`xn--bcher-kva.example`), or
 * the other way round. Without a directory no domain is local.
 */
export async function isLocalDomain(accounts: AccountDirectory | undefined, target: { ascii: string; unicode: string }): Promise<boolean> {
  if (!accounts) return false;
  if ((await accounts.isLocalDomain(target.ascii)) || (await accounts.isLocalDomain(target.unicode))) return true;
  const domains = await accounts.listDomains();
  return domains.some((domain) => domainToASCII(domain) === target.ascii);
}
