import type { z } from 'zod';
import { ValidationError } from './errors.ts';

/** Parses untrusted input with a zod schema; failures become 400 VALIDATION_FAILED listing the fields. */
export function parse<S extends z.ZodType>(schema: S, input: unknown, where: 'body' | 'query' | 'params' | 'headers'): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ValidationError(
    result.error.issues.flatMap((issue) => {
      const path = [where, ...issue.path.map(String)];
      // Name each unknown field on its own, so the problem lists every bad field.
      if (issue.code === 'unrecognized_keys') {
        return issue.keys.map((key) => ({ path: [...path, key].join('.'), message: 'unknown field' }));
      }
      return [{ path: path.join('.'), message: issue.message }];
    }),
  );
}
