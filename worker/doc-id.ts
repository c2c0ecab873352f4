// Document ids: 1–256 characters from a URL-safe set, so they travel unescaped in paths.

export const MAX_DOC_ID_LENGTH = 256;
/** Letters, digits and `. _ ~ : @ -`. */
export const DOC_ID_PATTERN = /^[A-Za-z0-9._~:@-]+$/;

/** Returns an error message for an invalid id, or null when it is valid. */
export function docIdProblem(id: string | undefined): string | null {
  if (!id) return "document id is empty";
  if (id.length > MAX_DOC_ID_LENGTH)
    return `document id is longer than ${MAX_DOC_ID_LENGTH} characters`;
  if (!DOC_ID_PATTERN.test(id))
    return "document id may only contain letters, digits and . _ ~ : @ -";
  return null;
}
