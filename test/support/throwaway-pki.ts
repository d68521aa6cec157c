/**
 * A throw-away certificate authority for TLS tests, made with the openssl CLI (node:crypto parses
 * X.509 but cannot issue it): P-256 keys in PKCS#8 (what nginx, Kafka's PEM key store, rustls and
 * Node all read), certificates valid for a day, every file in one temp directory.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface Ca {
  dir: string;
  certFile: string;
  keyFile: string;
}

export interface Issued {
  certFile: string;
  keyFile: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A new CA in its own temp directory; remove `dir` when done. */
export function createCa(name: string): Ca {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `hs-pki-${name}-`));
  const keyFile = path.join(dir, `${name}-ca.key`);
  const certFile = path.join(dir, `${name}-ca.crt`);
  openssl(
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1',
      '-subj', `/CN=Homeostat test CA ${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    dir,
  );
  return { dir, certFile, keyFile };
}

/**
 * A leaf certificate signed by `ca` for `dnsNames` (and 127.0.0.1), usable by a server and a
 * client: rustls and Node both insist on a subjectAltName and an end-entity (not CA) certificate.
 */
export function issue(ca: Ca, name: string, dnsNames: string[]): Issued {
  const keyFile = path.join(ca.dir, `${name}.key`);
  const csr = path.join(ca.dir, `${name}.csr`);
  const certFile = path.join(ca.dir, `${name}.crt`);
  const ext = path.join(ca.dir, `${name}.ext`);
  fs.writeFileSync(
    ext,
    [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth,clientAuth',
      `subjectAltName=${[...dnsNames.map((d) => `DNS:${d}`), 'IP:127.0.0.1'].join(',')}`,
    ].join('\n'),
  );
  openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile, '-out', csr, '-subj', `/CN=${name}`], ca.dir);
  openssl(['x509', '-req', '-in', csr, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-CAcreateserial', '-out', certFile, '-days', '1', '-extfile', ext], ca.dir);
  fs.chmodSync(keyFile, 0o600);
  return { certFile, keyFile };
}
