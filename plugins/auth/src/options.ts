import { type ThrottleOptions, throttleOptionProperties } from '@posthorn/core';

/** SMTP AUTH has no options besides the shared login throttle's. */
export type AuthOptions = ThrottleOptions;

export const optionsSchema = {
  type: 'object',
  properties: { ...throttleOptionProperties },
} as const;
