import './polyfill.js';
import { StateMachine } from 'aws-local-stepfunctions';
import { renderAsl } from '../control-plane/tasks/task.js';
import { ConditionFailedError, type RecordStore, type StoredItem, queryAll } from '../platform/core/ports.js';
import { errorFields, log } from '../platform/observability/logger.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type AslState = { Type: string; Resource?: string; Seconds?: number; Retry?: { IntervalSeconds?: number }[]; [k: string]: unknown };
type AslDefinition = { StartAt: string; States: Record<string, AslState>; [k: string]: unknown };
export type LocalTask = (input: Record<string, unknown>) => Promise<unknown>;

export interface MachineSource {
  name: string;
  /** ASL text with `${XxxFunctionArn}` placeholders. */
  text: string;
  /**
   * Task `Resource` → handler, for definitions whose resources are already real ARNs (the assembly runner
   * feeds it the synthesized template's definitions); without it, placeholders map to the `tasks` registry.
   */
  taskFor?: (resource: string) => LocalTask | undefined;
}

/** A Step Functions API error, rendered by the endpoint as `{ "__type": name, "message" }`. */
export class SfnApiError extends Error {
  constructor(
    override readonly name: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

interface Machine {
  name: string;
  arn: string;
  definitionText: string;
  stateMachine: StateMachine;
  taskHandlers: Record<string, (input: Json) => Promise<Json>>;
  waitOverrides: Record<string, number>;
  retryOverrides: Record<string, number[]>;
  createdAt: Date;
}

interface ExecutionItem extends StoredItem {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  startDate: number;
  stopDate?: number;
}

const ACCOUNT = '000000000000';
/** StartExecution's name rule (AWS): 1–80 characters; no whitespace, brackets, wildcards, quotes, the punctuation below or control characters. */
const NAME_PATTERN = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]{1,80}$/;
const MAX_INPUT_BYTES = 256 * 1024;

/**
 * Step Functions semantics over aws-local-stepfunctions, with execution records persisted in a
 * RecordStore so ListExecutions/DescribeExecution/GetExecutionHistory survive restarts.
 */
export class LocalStepFunctions {
  private readonly machines = new Map<string, Machine>();
  /**
   * Executions this process runs, with their record as last written: DescribeExecution (polled by every
   * waiter) answers these from memory instead of a store read; the store stays the record across restarts.
   */
  private readonly running = new Map<string, { abort: () => void; done: Promise<void>; item: ExecutionItem }>();
  /** Set by `drain(true)`: the process is going away, so tasks not yet under way should not begin. */
  stopping = false;
  /** Task invocations in flight: an aborted execution does not stop the task it was waiting for. */
  private readonly tasks = new Set<Promise<unknown>>();

  constructor(
    private readonly store: RecordStore,
    private readonly options: {
      region: string;
      tasks: Record<string, LocalTask>;
      /** Real ms per modelled minute: Wait `Seconds` and Retry intervals are scaled by it. */
      msPerModelledMinute: number;
    },
  ) {}

  arnPrefix(): string {
    return `arn:aws:states:${this.options.region}:${ACCOUNT}:stateMachine:`;
  }

  register(source: MachineSource): void {
    const functionArn = (task: string) => `arn:aws:lambda:${this.options.region}:${ACCOUNT}:function:${task}`;
    const text = source.taskFor ? source.text : renderAsl(source.text, functionArn);
    const definition = JSON.parse(text) as AslDefinition;
    const machine: Machine = {
      name: source.name,
      arn: `${this.arnPrefix()}${source.name}`,
      definitionText: text,
      // Validation compiles a JSON schema per machine (~70 ms each); every ASL file is validated by the
      // test suite (asl-validator and this interpreter), so the runtime skips it to start fast.
      stateMachine: new StateMachine(definition as never, { validationOptions: { noValidate: true } }),
      taskHandlers: {},
      waitOverrides: {},
      retryOverrides: {},
      createdAt: new Date(),
    };
    const scale = this.options.msPerModelledMinute / 60_000;
    for (const [stateName, state] of allStates(definition)) {
      if (state.Type === 'Task') {
        const task = /:function:(\w+)$/.exec(state.Resource ?? '')?.[1];
        const handler = source.taskFor ? source.taskFor(state.Resource ?? '') : task ? this.options.tasks[task] : undefined;
        if (!handler) throw new Error(`${source.name}: state ${stateName} uses unknown task resource ${state.Resource}`);
        machine.taskHandlers[stateName] = (input) => this.track(handler(input as Record<string, unknown>)) as Promise<Json>;
      }
      if (state.Type === 'Wait' && typeof state.Seconds === 'number') machine.waitOverrides[stateName] = state.Seconds * 1000 * scale;
      if (state.Retry) machine.retryOverrides[stateName] = state.Retry.map((r) => (r.IntervalSeconds ?? 1) * 1000 * scale);
    }
    this.machines.set(machine.arn, machine);
  }

  /** Executions left RUNNING by a previous process can no longer progress: close them honestly. */
  async recoverInterrupted(): Promise<number> {
    let count = 0;
    for (const machine of this.machines.values()) {
      for (const exec of await this.executionsOf(machine.arn)) {
        if (exec.status !== 'RUNNING' || this.running.has(exec.executionArn)) continue;
        await this.finish(exec, { status: 'FAILED', error: 'States.Runtime', cause: 'the local runtime stopped while this execution was running' });
        count++;
      }
    }
    return count;
  }

  listStateMachines() {
    return {
      stateMachines: [...this.machines.values()].map((m) => ({
        stateMachineArn: m.arn,
        name: m.name,
        type: 'STANDARD',
        creationDate: m.createdAt.getTime() / 1000,
      })),
    };
  }

  describeStateMachine(input: { stateMachineArn?: string }) {
    const m = this.machine(input.stateMachineArn);
    return { stateMachineArn: m.arn, name: m.name, status: 'ACTIVE', definition: m.definitionText, type: 'STANDARD', roleArn: `arn:aws:iam::${ACCOUNT}:role/local`, creationDate: m.createdAt.getTime() / 1000 };
  }

  async startExecution(req: { stateMachineArn?: string; name?: string; input?: string }) {
    const machine = this.machine(req.stateMachineArn);
    const name = req.name ?? crypto.randomUUID();
    if (!NAME_PATTERN.test(name)) throw new SfnApiError('InvalidName', `invalid execution name: ${name}`);
    const inputText = req.input ?? '{}';
    if (Buffer.byteLength(inputText) > MAX_INPUT_BYTES) throw new SfnApiError('InvalidExecutionInput', 'input exceeds 256 KiB');
    let input: Json;
    try {
      input = JSON.parse(inputText) as Json;
    } catch {
      throw new SfnApiError('InvalidExecutionInput', 'input is not valid JSON');
    }
    const executionArn = `arn:aws:states:${this.options.region}:${ACCOUNT}:execution:${machine.name}:${name}`;
    const startDate = Date.now();
    const item: ExecutionItem = {
      pk: `EXEC#${executionArn}`,
      sk: 'EXEC',
      gsi1pk: `SM#${machine.arn}`,
      gsi1sk: `${new Date(startDate).toISOString()}#${name}`,
      executionArn,
      stateMachineArn: machine.arn,
      name,
      status: 'RUNNING',
      input: inputText,
      startDate,
    };
    try {
      await this.store.put(item, { ifNotExists: true });
    } catch (e) {
      if (!(e instanceof ConditionFailedError)) throw e;
      // Same name + same input while running is an idempotent retry, as on AWS.
      const existing = await this.getExecution(executionArn);
      if (existing.status === 'RUNNING' && existing.input === inputText) {
        return { executionArn, startDate: existing.startDate / 1000 };
      }
      throw new SfnApiError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    this.run(machine, item, input);
    return { executionArn, startDate: startDate / 1000 };
  }

  async describeExecution(req: { executionArn?: string }) {
    const e = await this.getExecution(req.executionArn);
    return {
      ...executionSummary(e),
      input: e.input,
      output: e.output,
      error: e.error,
      cause: e.cause,
    };
  }

  async listExecutions(req: { stateMachineArn?: string; statusFilter?: string; maxResults?: number; nextToken?: string }) {
    const machine = this.machine(req.stateMachineArn);
    const page = await this.store.query<ExecutionItem>({
      index: 'gsi1',
      pk: `SM#${machine.arn}`,
      descending: true,
      limit: req.statusFilter ? undefined : req.maxResults || 100,
      cursor: req.nextToken,
    });
    const items = req.statusFilter ? page.items.filter((e) => e.status === req.statusFilter) : page.items;
    return {
      executions: items.map(executionSummary),
      nextToken: page.cursor,
    };
  }

  async stopExecution(req: { executionArn?: string; error?: string; cause?: string }) {
    const e = await this.getExecution(req.executionArn);
    const live = this.running.get(e.executionArn);
    if (e.status === 'RUNNING') {
      if (live) {
        live.abort();
        await live.done;
      }
      await this.finish(e, { status: 'ABORTED', error: req.error, cause: req.cause });
    }
    return { stopDate: Date.now() / 1000 };
  }

  async getExecutionHistory(req: { executionArn?: string; reverseOrder?: boolean; maxResults?: number; nextToken?: string }) {
    const e = await this.getExecution(req.executionArn);
    const page = await this.store.query({
      pk: e.pk,
      sk: { beginsWith: 'EVENT#' },
      descending: req.reverseOrder,
      limit: req.maxResults || 1000,
      cursor: req.nextToken,
    });
    return { events: page.items.map((i) => i.event), nextToken: page.cursor };
  }

  sendTaskSuccess(): never {
    throw new SfnApiError('TaskDoesNotExist', 'task tokens are not supported by the local runtime: human gates are records checked between executions (see DESIGN.md)');
  }

  /** Waits for every execution started by this process, and every task it invoked, to settle (shutdown, tests). */
  async drain(abort = false): Promise<void> {
    if (abort) {
      this.stopping = true;
      for (const r of this.running.values()) r.abort();
    }
    await Promise.allSettled([...this.running.values()].map((r) => r.done));
    await Promise.allSettled([...this.tasks]);
  }

  private track<T>(task: Promise<T>): Promise<T> {
    this.tasks.add(task);
    void task.finally(() => this.tasks.delete(task)).catch(() => undefined);
    return task;
  }

  private run(machine: Machine, item: ExecutionItem, input: Json) {
    const execution = machine.stateMachine.run(input, {
      overrides: {
        taskResourceLocalHandlers: machine.taskHandlers,
        waitTimeOverrides: machine.waitOverrides,
        retryIntervalOverrides: machine.retryOverrides,
      },
      context: {
        Execution: { Id: item.executionArn, Name: item.name, Input: input, StartTime: new Date(item.startDate).toISOString() },
        StateMachine: { Id: machine.arn, Name: machine.name },
      } as never,
    });
    // A history write that fails (e.g. an item over the store's size limit) fails the execution, as
    // Step Functions would, instead of an unhandled rejection or an execution left RUNNING.
    let historyError: unknown;
    const fail = (e: unknown) => {
      historyError ??= e;
      execution.abort();
    };
    const recording = this.recordEvents(item, execution.eventLogs, fail).catch(fail);
    const done = execution.result.then(
      (output) => ({ status: 'SUCCEEDED' as const, output: JSON.stringify(output ?? null) }),
      (e: Error) =>
        e.name === 'ExecutionAbortedError'
          ? { status: 'ABORTED' as const }
          : e.name === 'ExecutionTimeoutError'
            ? { status: 'TIMED_OUT' as const, error: 'States.Timeout' }
            : { status: 'FAILED' as const, ...failureOf(e) },
    ).then(async (outcome) => {
      await recording;
      const final = historyError === undefined ? outcome : { status: 'FAILED' as const, error: 'States.Runtime', cause: `the execution history could not be recorded: ${String(historyError)}` };
      const current = await this.store.get<ExecutionItem>({ pk: item.pk, sk: 'EXEC' });
      if (current?.status === 'RUNNING') await this.finish(current, final);
    }).catch((e: unknown) => {
      log.error('failed to record execution outcome', { executionArn: item.executionArn, ...errorFields(e, true) });
    }).finally(() => this.running.delete(item.executionArn));
    this.running.set(item.executionArn, { abort: execution.abort, done, item });
  }

  /**
   * Writes the history as the events come: one writer, which takes every event queued meanwhile in one
   * batch write (a task's entered/scheduled/succeeded/exited events go together), not one put per event.
   * A write that fails calls `fail` at once (the execution is aborted and recorded FAILED).
   */
  private async recordEvents(item: ExecutionItem, events: AsyncGenerator<unknown>, fail: (e: unknown) => void) {
    let id = 0;
    const types = new Map<string, string>();
    const queue: StoredItem[] = [];
    let failed = false;
    let writer: Promise<void> | undefined;
    const drain = async () => {
      try {
        while (queue.length > 0 && !failed) await this.store.batchPut(queue.splice(0, 25));
      } catch (e) {
        failed = true;
        fail(e);
      } finally {
        writer = undefined;
      }
    };
    for await (const raw of events) {
      if (failed) continue;
      const event = toHistoryEvent(raw as RawEvent, ++id, types);
      queue.push({ pk: item.pk, sk: `EVENT#${String(id).padStart(8, '0')}`, event });
      writer ??= drain();
    }
    await writer;
  }

  private async finish(item: ExecutionItem, outcome: Partial<ExecutionItem> & { status: ExecutionItem['status'] }) {
    const finished: ExecutionItem = { ...item, ...outcome, stopDate: Date.now() };
    await this.store.put(finished);
    const live = this.running.get(item.executionArn);
    if (live) live.item = finished;
  }

  private async executionsOf(stateMachineArn: string): Promise<ExecutionItem[]> {
    return queryAll<ExecutionItem>(this.store, { index: 'gsi1', pk: `SM#${stateMachineArn}` });
  }

  private async getExecution(executionArn: string | undefined): Promise<ExecutionItem> {
    if (!executionArn) throw new SfnApiError('ValidationException', 'executionArn is required');
    const live = this.running.get(executionArn);
    if (live) return live.item;
    const item = await this.store.get<ExecutionItem>({ pk: `EXEC#${executionArn}`, sk: 'EXEC' });
    if (!item) throw new SfnApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    return item;
  }

  private machine(arn: string | undefined): Machine {
    const m = arn ? this.machines.get(arn) : undefined;
    if (!m) throw new SfnApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return m;
  }
}

/** The ExecutionListItem fields (AWS JSON timestamps are epoch seconds). */
function executionSummary(e: ExecutionItem) {
  return {
    executionArn: e.executionArn,
    stateMachineArn: e.stateMachineArn,
    name: e.name,
    status: e.status,
    startDate: e.startDate / 1000,
    stopDate: e.stopDate !== undefined ? e.stopDate / 1000 : undefined,
  };
}

function* allStates(def: { States?: Record<string, AslState> }): Generator<[string, AslState]> {
  for (const [name, state] of Object.entries(def.States ?? {})) {
    yield [name, state];
    const nested = [state.Iterator, state.ItemProcessor, ...((state.Branches as unknown[]) ?? [])];
    for (const sub of nested) if (sub && typeof sub === 'object') yield* allStates(sub as AslDefinition);
  }
}

function failureOf(e: Error): { error: string; cause: string } {
  // ExecutionError wraps the state's error; its message carries "Execution has failed with the following error: ..."
  const inner = (e as { cause?: { name?: string; message?: string } }).cause;
  const error = inner?.name ?? e.name;
  return { error, cause: inner?.message ?? e.message };
}

type RawEvent = {
  type: string;
  timestamp: number;
  input?: unknown;
  output?: unknown;
  Error?: string;
  Cause?: unknown;
  state?: { name: string; type: string; input?: unknown; output?: unknown };
  index?: number;
};

/** Maps the interpreter's event log to Step Functions' HistoryEvent shape. */
function toHistoryEvent(raw: RawEvent, id: number, stateTypes: Map<string, string>): Record<string, unknown> {
  const base = { id, previousEventId: id - 1, timestamp: raw.timestamp / 1000 };
  const json = (v: unknown) => JSON.stringify(v ?? null);
  const cause = typeof raw.Cause === 'string' ? raw.Cause : json(raw.Cause);
  switch (raw.type) {
    case 'ExecutionStarted':
      return { ...base, type: 'ExecutionStarted', executionStartedEventDetails: { input: json(raw.input) } };
    case 'ExecutionSucceeded':
      return { ...base, type: 'ExecutionSucceeded', executionSucceededEventDetails: { output: json(raw.output) } };
    case 'ExecutionFailed':
      return { ...base, type: 'ExecutionFailed', executionFailedEventDetails: { error: raw.Error, cause } };
    case 'ExecutionAborted':
      return { ...base, type: 'ExecutionAborted', executionAbortedEventDetails: {} };
    case 'ExecutionTimeout':
      return { ...base, type: 'ExecutionTimedOut', executionTimedOutEventDetails: {} };
    case 'StateEntered':
      stateTypes.set(raw.state!.name, raw.state!.type);
      return { ...base, type: `${raw.state!.type}StateEntered`, stateEnteredEventDetails: { name: raw.state!.name, input: json(raw.state!.input) } };
    case 'StateExited':
      return { ...base, type: `${raw.state!.type}StateExited`, stateExitedEventDetails: { name: raw.state!.name, output: json(raw.state!.output) } };
    case 'StateFailed':
      return { ...base, type: raw.state!.type === 'Task' ? 'TaskFailed' : 'ExecutionFailed', taskFailedEventDetails: { resourceType: 'lambda', resource: raw.state!.name, error: raw.Error, cause } };
    case 'StateRetried':
      return { ...base, type: 'TaskStateRetried', stateEnteredEventDetails: { name: raw.state!.name } };
    case 'StateCaught':
      return { ...base, type: 'TaskStateCaught', stateEnteredEventDetails: { name: raw.state!.name } };
    default:
      return { ...base, type: raw.type, details: { index: raw.index } };
  }
}
