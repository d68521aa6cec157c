import fs from 'node:fs';
import { type Command } from 'commander';
import { ERROR_CODES, HomeostatError } from '../../common/errors';
import { formatIssue, parsePolicyText } from '../../policies/load';
import { repairLadder } from '../../policies/lookup';
import { type PolicyConfig } from '../../policies/schema';
import { formatDuration } from '../../policies/duration';

/** One line per pipeline: what an operator wants to see after a successful check. */
function summary(config: PolicyConfig): Record<string, unknown>[] {
  return config.pipelines.map((p) => ({
    pipeline: p.name,
    mode: p.mode,
    components: p.components.map((c) => c.name),
    edges: p.edges.length,
    faultClassesCovered: Object.keys(p.repairs).length,
    approvalTimeout: formatDuration(p.approval.timeout),
    approvers: config.approvers
      .filter((a) => a.pipelines.includes('*') || a.pipelines.includes(p.name))
      .map((a) => a.identity),
  }));
}

function printHuman(file: string, config: PolicyConfig): void {
  const out: string[] = [`${file}: valid (version ${config.version}, ${config.pipelines.length} pipeline(s))`];
  for (const p of config.pipelines) {
    const tags = p.components.filter((c) => c.sensitivity.length > 0).map((c) => `${c.name}[${c.sensitivity.join(',')}]`);
    out.push(`  pipeline ${p.name} (${p.mode})`);
    out.push(`    components  ${p.components.map((c) => c.name).join(', ')}${tags.length ? `   sensitive: ${tags.join(' ')}` : ''}`);
    out.push(`    dag         ${p.edges.map((e) => `${e.from}→${e.to}`).join(' ') || '(no edges)'}`);
    out.push(`    slo         latency ≤ ${p.slo.latencyMs}ms, quality ≥ ${p.slo.qualityFloor}, loss ≤ ${p.slo.maxLoss}`);
    for (const fault of Object.keys(p.repairs) as (keyof typeof p.repairs)[]) {
      out.push(`    ${fault.padEnd(22)}${repairLadder(p, fault).join(' → ')}`);
    }
  }
  out.push(`  approvers   ${config.approvers.map((a) => `${a.identity} (${a.roles.join(', ')})`).join('; ') || '(none)'}`);
  process.stdout.write(`${out.join('\n')}\n`);
}

export function register(program: Command): void {
  const policy = program.command('policy').description('policy files: validate and summarise');
  policy
    .command('check')
    .description('validate a policy file; every error is reported with its path and line')
    .argument('<file>', 'policy YAML file')
    .option('--json', 'print a JSON object instead of text', false)
    .action((file: string, opts: { json: boolean }) => {
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch (err) {
        throw new HomeostatError('HS_NOT_FOUND', `cannot read policy file ${file}: ${(err as Error).message}`);
      }
      const result = parsePolicyText(text);
      if (result.ok) {
        if (opts.json) process.stdout.write(`${JSON.stringify({ file, valid: true, pipelines: summary(result.config) })}\n`);
        else printHuman(file, result.config);
        return;
      }
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ file, valid: false, errors: result.issues })}\n`);
      } else {
        const lines = result.issues.map((i) => formatIssue(file, i));
        process.stderr.write(`${lines.join('\n')}\n${file}: ${result.issues.length} error(s)\n`);
      }
      process.exitCode = ERROR_CODES.HS_INVALID_INPUT.exitCode;
    });
}
