import { type OutgoingSelection, outgoingSelectionSchema } from '@posthorn/core';
import { type DnsListData, dnsListSchema, type ThresholdsData, thresholdsSchema } from './schema.ts';

export interface SpamOptions {
  /** The rule file; default `<dataDir>/spam-rules.yaml`. A missing file is an empty rule set. */
  readonly rules?: string;
  /** Which sessions hand over our own users' mail, which is never scored. */
  readonly outgoing: OutgoingSelection;
  /** Thresholds; the rule file's `thresholds` take precedence key by key. */
  readonly thresholds: ThresholdsData & { readonly required: number };
  /** DNS lists in addition to the rule file's. */
  readonly dnsLists: readonly DnsListData[];
  /** Seconds one DNS question may take before it counts as no answer. */
  readonly dnsTimeout: number;
  /** Bytes of the body that body rules and URL extraction look at. */
  readonly bodyLimit: number;
  /** Most domains (sender and URL domains with their parents) asked of each domain list. */
  readonly maxDomainLookups: number;
  /** Seconds between log lines with the hit counters; 0: only at stop. */
  readonly statsInterval: number;
}

export const optionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    rules: { type: 'string', minLength: 1 },
    outgoing: outgoingSelectionSchema,
    thresholds: {
      ...thresholdsSchema,
      default: {},
      properties: { ...thresholdsSchema.properties, required: { ...thresholdsSchema.properties.required, default: 5 } },
    },
    dnsLists: { type: 'array', default: [], items: dnsListSchema },
    dnsTimeout: { type: 'number', exclusiveMinimum: 0, default: 5, description: 'Seconds one DNS question may take' },
    bodyLimit: { type: 'integer', minimum: 1024, default: 262144, description: 'Bytes of the body that body rules and URL extraction read' },
    maxDomainLookups: { type: 'integer', minimum: 0, default: 20, description: 'Most domains asked of each domain list per message' },
    statsInterval: { type: 'number', minimum: 0, default: 3600, description: 'Seconds between hit-counter log lines (0: only at stop)' },
  },
} as const;
