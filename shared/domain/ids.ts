/**
 * Identifier rules, applied before an id reaches a URL or the table. They keep hostile input out; they do not
 * try to prove that an id exists.
 */

/** Visitor ids are alphanumeric; 20 characters in practice, the upper bound leaves room for other formats. */
export const VISITOR_ID_PATTERN = /^[A-Za-z0-9]{1,64}$/;
/** `<13-digit ms>.<6 alphanumerics>`, or the 20 alphanumerics that older examples show. */
export const REQUEST_ID_PATTERN = /^(?:\d{13}\.[A-Za-z0-9]{6}|[A-Za-z0-9]{20})$/;
export const LINKED_ID_MAX_LENGTH = 256;

export const isVisitorId = (value: string): boolean => VISITOR_ID_PATTERN.test(value);
export const isRequestId = (value: string): boolean => REQUEST_ID_PATTERN.test(value);
/** Any string of 1 to 256 characters without control characters or unpaired surrogates. */
export const isLinkedId = (value: string): boolean =>
  value.length >= 1 &&
  value.length <= LINKED_ID_MAX_LENGTH &&
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to reject control characters
  !/[\u0000-\u001f\u007f]/.test(value) &&
  // An unpaired surrogate is not text: UTF-8 (a URL, a DynamoDB key) turns it into U+FFFD, so "a\ud800" would
  // read and write the events of the linkedId "a\ufffd", someone else's.
  !/\p{Cs}/u.test(value);
