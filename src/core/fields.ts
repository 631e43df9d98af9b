/**
 * The values a signature field can hold, as the one zod schema every layer validates them with
 * (programs' demos, feedback payloads, evaluation checkpoints); the TS types derive from it.
 */
import { z } from 'zod';

export const fieldValueSchema = z.union([z.string(), z.number(), z.boolean()]);
export const fieldsSchema = z.record(z.string(), fieldValueSchema);

/** A few-shot demonstration as programs store it (the `Demo` type in types.ts). */
export const demoSchema = z.object({
  inputs: fieldsSchema,
  outputs: fieldsSchema,
  augmented: z.boolean().optional(),
});
