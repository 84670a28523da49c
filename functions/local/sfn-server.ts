import { createServer, type Server } from 'node:http';
import { LocalStepFunctions, SfnApiError } from './local-step-functions.js';

type Operation = (sfn: LocalStepFunctions, body: Record<string, unknown>) => unknown;

/** The AWS JSON 1.0 operations the control plane uses, so @aws-sdk/client-sfn works unchanged locally. */
const OPERATIONS: Record<string, Operation> = {
  StartExecution: (s, b) => s.startExecution(b as never),
  DescribeExecution: (s, b) => s.describeExecution(b as never),
  ListExecutions: (s, b) => s.listExecutions(b as never),
  StopExecution: (s, b) => s.stopExecution(b as never),
  GetExecutionHistory: (s, b) => s.getExecutionHistory(b as never),
  ListStateMachines: (s) => s.listStateMachines(),
  DescribeStateMachine: (s, b) => s.describeStateMachine(b as never),
  SendTaskSuccess: (s) => s.sendTaskSuccess(),
  SendTaskFailure: (s) => s.sendTaskSuccess(),
  SendTaskHeartbeat: (s) => s.sendTaskSuccess(),
};

export function createSfnServer(sfn: LocalStepFunctions): Server {
  return createServer(async (req, res) => {
    const send = (status: number, payload: unknown, errorType?: string) => {
      res.writeHead(status, {
        'content-type': 'application/x-amz-json-1.0',
        ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
      });
      res.end(JSON.stringify(payload ?? {}));
    };
    try {
      const target = String(req.headers['x-amz-target'] ?? '');
      const op = OPERATIONS[target.replace(/^AWSStepFunctions\./, '')];
      if (req.method !== 'POST' || !op) throw new SfnApiError('UnknownOperationException', `unsupported operation ${target}`);
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const text = Buffer.concat(chunks).toString('utf8');
      let body: Record<string, unknown>;
      try {
        body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        throw new SfnApiError('SerializationException', 'request body is not valid JSON');
      }
      send(200, await op(sfn, body));
    } catch (e) {
      if (e instanceof SfnApiError) send(e.status, { __type: e.name, message: e.message }, e.name);
      else send(500, { __type: 'InternalFailure', message: String(e) }, 'InternalFailure');
    }
  });
}
