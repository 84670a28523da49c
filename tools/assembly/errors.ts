/** Base error of the assembly runner: something in the synthesized artifact (or its use) is wrong. */
export class AssemblyError extends Error {
  override name = 'AssemblyError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The template cannot be turned into a local deployment (unresolvable reference, broken substitution). */
export class TemplateError extends AssemblyError {
  override name = 'TemplateError';
}

/** A scenario's expectation failed; the message says what was expected and what happened. */
export class ScenarioError extends AssemblyError {
  override name = 'ScenarioError';
}
