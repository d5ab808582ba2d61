import type { ServiceToken } from '@posthorn/contracts';
import { PosthornError } from './errors.ts';

/** Implementations by token id, with who provided each. */
export class ServiceRegistry {
  readonly #entries = new Map<string, { provider: string; implementation: unknown; token: ServiceToken<unknown> }>();

  provide<T>(token: ServiceToken<T>, provider: string, implementation: T): void {
    const existing = this.#entries.get(token.id);
    if (existing) {
      throw new PosthornError('PH_SERVICE_DUPLICATE', `service ${token.id} is provided by both ${existing.provider} and ${provider}`, {
        service: token.id,
        plugins: [existing.provider, provider],
      });
    }
    if (implementation === undefined || implementation === null) {
      throw new PosthornError('PH_PLUGIN_SETUP', `plugin ${provider} provided an empty implementation of ${token.id}`, { plugin: provider });
    }
    this.#entries.set(token.id, { provider, implementation, token: token as ServiceToken<unknown> });
  }

  get<T>(token: ServiceToken<T>): T | undefined {
    return this.#entries.get(token.id)?.implementation as T | undefined;
  }

  has(token: ServiceToken<unknown>): boolean {
    return this.#entries.has(token.id);
  }

  providerOf(token: ServiceToken<unknown>): string | undefined {
    return this.#entries.get(token.id)?.provider;
  }

  list(): { id: string; description: string; provider: string }[] {
    return [...this.#entries.values()].map((entry) => ({ id: entry.token.id, description: entry.token.description, provider: entry.provider }));
  }
}
