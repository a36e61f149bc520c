/** The one-line text of anything thrown: an Error's message, else the value as a string. */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * `SUBJECT: message`, naming the subject once: a reader's error may already start with the path it was
 * given (a pickle labelled by its file), and the caller names that path too.
 */
export function aboutSubject(subject: string, message: string): string {
  return message === subject || message.startsWith(`${subject}: `) ? message : `${subject}: ${message}`;
}
