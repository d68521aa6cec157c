import { loadPolicyFile, parsePolicyText, formatIssue } from '../policies/load';
const c = loadPolicyFile('policies/examples/demo.yaml');
console.log(JSON.stringify(c.pipelines[0]!.cooldown), c.pipelines[0]!.approval.timeout, c.global);
const r = parsePolicyText(`pipelines:\n  - name: x\n    components: [{name: a}, {name: a, bogus: 1}]\n    edges: [{from: a, to: q}]\n    slo: { latencyMs: fast }\n    repairs: { crash: [reboot], nope: [escalate] }\n    freezeWindows: [{ name: f, cron: "99 * * * *", duration: 1h }, {name: g}]\n    cooldown: { default: 5 minutes }\n`);
if (!r.ok) for (const i of r.issues) console.log(formatIssue('f.yaml', i));
