import { reply } from '@posthorn/core';

/** The replies of this plugin (RFC 4954 6 for the codes). */
export const AuthReplies = Object.freeze({
  /** Wrong password and unknown login alike: the same words, so they tell nothing apart. */
  failed: reply(535, '5.7.8', 'Authentication credentials invalid'),
  encryptionRequired: reply(538, '5.7.11', 'Encryption required for requested authentication mechanism'),
  /**
   * Lockout: temporary, so a mail program retries later instead of asking its user for a new
   * password that would be refused just the same.
   */
  lockedOut: reply(454, '4.7.0', 'Too many failed authentication attempts, try again later'),
  unsupportedMechanism: reply(504, '5.5.4', 'Unrecognized authentication type'),
});
