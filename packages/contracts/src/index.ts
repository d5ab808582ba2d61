export { serviceToken } from './service.ts';
export type { ServiceToken, ServiceOf } from './service.ts';
export type { ReplyData } from './reply.ts';
export type { Envelope, EnvelopeOrigin, EnvelopeRecipient, JsonValue } from './envelope.ts';
export { Resolver } from './resolver.ts';
export type { DnsResolver, MxRecord } from './resolver.ts';
export { Accounts } from './accounts.ts';
export type { Account, AccountDirectory, RecipientResolution } from './accounts.ts';
export { Queue } from './queue.ts';
export type { MessageQueue, QueueEntry, RecipientState, RecipientStatus } from './queue.ts';
export { Mailboxes } from './mailstore.ts';
export type {
  AppendOptions,
  AppendResult,
  CopyResult,
  FlagUpdateMode,
  FlagUpdateResult,
  MailboxChange,
  MailboxInfo,
  MailboxSelector,
  MailboxStatus,
  MailStore,
  MessageMeta,
  SpecialUse,
  SystemFlag,
} from './mailstore.ts';
export { Notes } from './notes.ts';
export type { AuthenticationNote, AuthResult, DeliveryTarget, HeaderNote, SpamNote } from './notes.ts';
export { SharedState } from './state.ts';
export type { SharedStateStore } from './state.ts';
