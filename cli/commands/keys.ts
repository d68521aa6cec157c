/**
 * `keys create --as <identity>`: a new Ed25519 key pair for signing decisions. The private key
 * stays in the user's config directory (mode 0600); the public key is printed, for the policy's
 * keys file. For the local stack (`npx homeostat dev`) it is also registered in the stack's own
 * keys file, which its worker re-reads; a production deployment registers public keys in the
 * keys file its policy names instead (reviewed like the policy itself).
 */
import { type Command } from 'commander';
import { z } from 'zod';
import { createKeyFile, loadSigner } from '../../common/decision-keys';
import { localKeysFile } from '../../common/paths';
import { registerKey } from '../../policies/keys';
import { parseFlags, print } from '../flags';

const CreateFlags = z.object({
  as: z.string().min(1, 'an identity is required'),
  force: z.boolean().default(false),
  register: z.boolean().default(true),
  keysFile: z.string().min(1).optional(),
  json: z.boolean().default(false),
});

const ShowFlags = z.object({ as: z.string().min(1), json: z.boolean().default(false) });

export function register(program: Command): void {
  const keys = program.command('keys').description('signing keys for approve, reject and abort');
  keys
    .command('create')
    .description('create your signing key pair and print the public key')
    .requiredOption('--as <identity>', 'the approver identity the policy lists')
    .option('--force', 'replace an existing key pair')
    .option('--no-register', "do not register the public key in the local stack's keys file")
    .option('--keys-file <file>', "register in this keys file instead of the local stack's")
    .option('--json', 'print JSON')
    .action((raw: unknown) => {
      const f = parseFlags(CreateFlags, raw);
      const { signer, file } = createKeyFile(f.as, f.force);
      const registeredIn = f.register ? (f.keysFile ?? localKeysFile()) : undefined;
      if (registeredIn) registerKey(registeredIn, { identity: f.as, publicKey: signer.publicKey });
      print(f.json, { identity: f.as, publicKey: signer.publicKey, privateKeyFile: file, registeredIn: registeredIn ?? null }, () =>
        [
          signer.publicKey,
          '',
          `private key: ${file} (mode 0600; never share it)`,
          registeredIn
            ? `registered for "${f.as}" in ${registeredIn} (the local stack's worker reads it at its next plan)`
            : 'not registered: add the public key under the identity in the keys file your policy names',
        ].join('\n'),
      );
    });
  keys
    .command('show')
    .description('print the public key of your key pair')
    .requiredOption('--as <identity>', 'the approver identity')
    .option('--json', 'print JSON')
    .action((raw: unknown) => {
      const f = parseFlags(ShowFlags, raw);
      const signer = loadSigner(f.as);
      print(f.json, { identity: f.as, publicKey: signer.publicKey }, () => signer.publicKey);
    });
}
