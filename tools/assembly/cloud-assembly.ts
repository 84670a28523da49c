import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AssemblyError } from './errors.js';
import type { Template } from './template.js';

/** A synthesized cloud assembly on disk: one stack's template and the file assets `cdk deploy` would upload. */
export interface CloudAssembly {
  directory: string;
  stackName: string;
  template: Template;
  /** Asset hash (the S3 object key without `.zip`) → the directory that would be zipped and uploaded. */
  fileAssets: Map<string, string>;
}

/**
 * Stage the runner synthesizes: its own name, a hosted zone (so the Route 53 grants and variables exist)
 * and a custom domain for the demo primary hostname (so the site root is reached by Host, as on AWS).
 */
export const ASSEMBLY_CONTEXT = {
  stage: 'assembly',
  hostedZoneId: 'Z0ASSEMBLYRUNNER',
  siteDomains: 'support.example.com=arn:aws:acm:us-east-1:000000000000:certificate/assembly-runner',
} as const;

/**
 * Synthesizes the real CDK app (route table, task registry, statemachines/) into a fresh temp directory with
 * esbuild bundling, as `npm run synth` does, and reads the result back from disk.
 */
export async function synthesize(context: Record<string, unknown> = ASSEMBLY_CONTEXT, outdir = mkdtempSync(join(tmpdir(), 'assembly-'))): Promise<CloudAssembly> {
  // The CDK app is imported only here: the runner builds the artifact, then uses nothing else from cdk/.
  const { buildApp } = await import('../../cdk/app.js');
  const { app, stack } = buildApp(context, { outdir });
  app.synth();
  return readCloudAssembly(outdir, stack.artifactId);
}

interface Manifest {
  artifacts: Record<string, { type: string; properties?: { templateFile?: string; file?: string }; displayName?: string }>;
}

/** Reads a cloud assembly directory (`cdk.out` or a synth into a temp dir). */
export function readCloudAssembly(directory: string, stackName?: string): CloudAssembly {
  const manifestFile = join(directory, 'manifest.json');
  if (!existsSync(manifestFile)) throw new AssemblyError(`${directory} is not a cloud assembly (no manifest.json)`);
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Manifest;
  const stacks = Object.entries(manifest.artifacts).filter(([, a]) => a.type === 'aws:cloudformation:stack');
  const chosen = stackName ? stacks.find(([id]) => id === stackName) : stacks.length === 1 ? stacks[0] : undefined;
  if (!chosen) throw new AssemblyError(`cloud assembly ${directory}: expected ${stackName ? `stack ${stackName}` : 'exactly one stack'}, found ${stacks.map(([id]) => id).join(', ') || 'none'}`);
  const [id, artifact] = chosen;
  const template = JSON.parse(readFileSync(join(directory, artifact.properties?.templateFile ?? `${id}.template.json`), 'utf8')) as Template;
  const assetsArtifact = Object.values(manifest.artifacts).find((a) => a.type === 'cdk:asset-manifest' && a.properties?.file?.startsWith(`${id}.assets`));
  const fileAssets = new Map<string, string>();
  if (assetsArtifact?.properties?.file) {
    const assets = JSON.parse(readFileSync(join(directory, assetsArtifact.properties.file), 'utf8')) as { files?: Record<string, { source: { path: string; packaging?: string } }> };
    for (const [hash, file] of Object.entries(assets.files ?? {})) fileAssets.set(hash, join(directory, file.source.path));
  }
  return { directory, stackName: id, template, fileAssets };
}
