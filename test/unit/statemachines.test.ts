import '../../functions/local/polyfill.js';
import aslValidator from 'asl-validator';
import { StateMachine } from 'aws-local-stepfunctions';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STATEMACHINES_DIR } from '../../functions/local/runtime.js';
import { tasks } from '../../functions/control-plane/tasks/index.js';
import { renderAsl, tasksReferenced } from '../../functions/control-plane/tasks/task.js';

const files = readdirSync(STATEMACHINES_DIR).filter((f) => f.endsWith('.asl.json'));
const arn = (task: string) => `arn:aws:lambda:us-east-1:123456789012:function:${task}`;

describe('statemachines/*.asl.json', () => {
  it('has at least one workflow', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  describe.each(files)('%s', (file) => {
    const text = readFileSync(join(STATEMACHINES_DIR, file), 'utf8');

    it('passes asl-validator once task ARNs are substituted', () => {
      const { isValid, errorsText } = aslValidator(JSON.parse(renderAsl(text, arn)));
      expect(errorsText('\n')).toBe('');
      expect(isValid).toBe(true);
    });

    it('references only registered tasks', () => {
      const referenced = tasksReferenced(text);
      expect(referenced.length).toBeGreaterThan(0);
      for (const name of referenced) expect(Object.keys(tasks)).toContain(name);
    });

    it('loads in the local interpreter (JSONPath only, no task tokens or .sync)', () => {
      expect(text).not.toMatch(/waitForTaskToken|\.sync|JSONata/);
      expect(() => new StateMachine(JSON.parse(renderAsl(text, arn)))).not.toThrow();
    });
  });
});
