import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import type { DnsResolver } from '@posthorn/contracts';
import type { SmtpReply } from '@posthorn/core';
import { planMx } from './mx.ts';
import type { OutboundOptions, RouteAuth, RouteOptions, TlsMode } from './options.ts';

/**
 * Where a recipient's mail goes: a static route (chosen without DNS), an address literal
 * (`user@[192.0.2.1]`), or the domain's mail exchangers.
 */
export type Destination =
  | { readonly kind: 'route'; readonly name: string; readonly route: RouteOptions; readonly key: string }
  | { readonly kind: 'literal'; readonly ip: string; readonly key: string }
  | { readonly kind: 'mx'; readonly domain: string; readonly key: string };

/** One host to try, in order, with how to talk to it; addresses are looked up when it is tried. */
export interface Hop {
  readonly name: string;
  readonly port: number;
  readonly tls: TlsMode;
  readonly verify: boolean;
  readonly auth?: RouteAuth;
  readonly addresses?: readonly string[];
}

export type HopPlan = { readonly hops: readonly Hop[] } | { readonly reply: SmtpReply; readonly detail: string };

/** The domain of an address, lower case, as an A-label; undefined for a local part alone. */
export function domainOf(address: string): string | undefined {
  const at = address.lastIndexOf('@');
  if (at < 0 || at === address.length - 1) return undefined;
  const domain = address.slice(at + 1).toLowerCase().replace(/\.$/, '');
  if (domain.startsWith('[')) return domain;
  // IDNA: DNS knows the A-label; '' means the name cannot be converted, so it is kept as is.
  return domainToASCII(domain) || domain;
}

/** The address inside a domain literal (`[192.0.2.1]`, `[IPv6:2001:db8::1]`), if it is one. */
function literalAddress(domain: string): string | undefined {
  const match = /^\[(?:ipv6:)?([^\]]+)\]$/i.exec(domain);
  return match && isIP(match[1]!) ? match[1] : undefined;
}

/**
 * The static route for a domain: its own entry, then `.parent` entries (any subdomain of
 * parent), then `*`. Keys are matched case-insensitively.
 */
export function routeFor(domain: string, routes: RouteTable): { name: string; route: RouteOptions } | undefined {
  const exact = routes.get(domain);
  if (exact) return exact;
  for (let dot = domain.indexOf('.'); dot >= 0; dot = domain.indexOf('.', dot + 1)) {
    const parent = routes.get(domain.slice(dot));
    if (parent) return parent;
  }
  return routes.get('*');
}

/** Routes by lower-case key. */
export type RouteTable = ReadonlyMap<string, { readonly name: string; readonly route: RouteOptions }>;

export function routeTable(routes: Readonly<Record<string, RouteOptions>>): RouteTable {
  return new Map(Object.entries(routes).map(([name, route]) => [name.toLowerCase(), { name, route }]));
}

export function destinationOf(domain: string, routes: RouteTable): Destination {
  const routed = routeFor(domain, routes);
  if (routed) return { kind: 'route', name: routed.name, route: routed.route, key: `route ${routed.name}` };
  const ip = literalAddress(domain);
  if (ip) return { kind: 'literal', ip, key: `literal ${ip}` };
  return { kind: 'mx', domain, key: `mx ${domain}` };
}

/** A name for the destination in reply texts and logs. */
export function destinationLabel(destination: Destination): string {
  if (destination.kind === 'route') return destination.route.host;
  if (destination.kind === 'literal') return `[${destination.ip}]`;
  return destination.domain;
}

/** The hosts to try for a destination, best first, or the reply that ends delivery there. */
export async function planHops(destination: Destination, options: OutboundOptions, resolver: DnsResolver): Promise<HopPlan> {
  if (destination.kind === 'route') {
    const { route } = destination;
    // Credentials are never sent in the clear unless the route says `tls: none` itself.
    const tls: TlsMode = route.auth && route.tls === 'opportunistic' ? 'required' : route.tls;
    const port = route.port ?? (route.tls === 'implicit' ? 465 : options.port);
    return { hops: [{ name: route.host, port, tls, verify: route.verify ?? options.verifyCertificates, ...(route.auth ? { auth: route.auth } : {}) }] };
  }
  if (destination.kind === 'literal') {
    return { hops: [{ name: destination.ip, port: options.port, tls: options.tls, verify: options.verifyCertificates, addresses: [destination.ip] }] };
  }
  const plan = await planMx(destination.domain, resolver);
  if ('reply' in plan) return plan;
  return {
    hops: plan.hosts.map((host) => ({
      name: host.name,
      port: options.port,
      tls: options.tls,
      verify: options.verifyCertificates,
      ...(host.addresses ? { addresses: host.addresses } : {}),
    })),
  };
}
