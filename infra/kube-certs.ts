/**
 * The local cluster's PKI, generated per cluster with openssl (Node's crypto can parse X.509 but
 * not issue it): a CA, the API server's serving certificate for loopback and the in-cluster names,
 * an admin client certificate in `system:masters`, and the service-account signing key pair
 * (generated with Node's crypto). EC P-256 throughout: a few milliseconds per key on a loaded machine.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { HomeostatError } from '../common/errors';
import { findOnPath } from './toolchain';
import { runToCompletion } from './process';

export interface ClusterPki {
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  adminCert: string;
  adminKey: string;
  saPublic: string;
  saPrivate: string;
}

const SERVER_SANS = [
  'IP:127.0.0.1',
  'IP:10.0.0.1',
  'DNS:localhost',
  'DNS:kubernetes',
  'DNS:kubernetes.default',
  'DNS:kubernetes.default.svc',
  'DNS:kubernetes.default.svc.cluster.local',
];

async function openssl(args: string[]): Promise<void> {
  const bin = findOnPath('openssl');
  if (!bin) throw new HomeostatError('HS_TOOLCHAIN_MISSING', '`openssl` was not found on PATH; it is needed to generate the local cluster\'s certificates. Install openssl, or set KUBECONFIG-based clusters aside and use a cluster of your own.');
  await runToCompletion(`openssl ${args[0]}`, bin, args);
}

async function issue(dir: string, name: string, subject: string, ca: { cert: string; key: string }, extensions: string[]): Promise<{ cert: string; key: string }> {
  const key = path.join(dir, `${name}.key`);
  const csr = path.join(dir, `${name}.csr`);
  const cert = path.join(dir, `${name}.crt`);
  const ext = path.join(dir, `${name}.ext`);
  await openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-subj', subject, '-out', csr]);
  fs.writeFileSync(ext, `${extensions.join('\n')}\n`);
  await openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-days', '3650', '-sha256', '-extfile', ext, '-out', cert]);
  fs.rmSync(csr, { force: true });
  fs.rmSync(ext, { force: true });
  return { cert, key };
}

/** Writes the PKI into `dir` (once: an existing complete set is reused by a restarted cluster). */
export async function ensurePki(dir: string): Promise<ClusterPki> {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const pki: ClusterPki = {
    caCert: path.join(dir, 'ca.crt'),
    caKey: path.join(dir, 'ca.key'),
    serverCert: path.join(dir, 'apiserver.crt'),
    serverKey: path.join(dir, 'apiserver.key'),
    adminCert: path.join(dir, 'admin.crt'),
    adminKey: path.join(dir, 'admin.key'),
    saPublic: path.join(dir, 'sa.pub'),
    saPrivate: path.join(dir, 'sa.key'),
  };
  if (Object.values(pki).every((f) => fs.existsSync(f))) return pki;
  await openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', pki.caKey, '-out', pki.caCert, '-days', '3650', '-subj', '/CN=homeostat-local-ca', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature']);
  const ca = { cert: pki.caCert, key: pki.caKey };
  await issue(dir, 'apiserver', '/CN=kube-apiserver', ca, ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', 'extendedKeyUsage=serverAuth', `subjectAltName=${SERVER_SANS.join(',')}`]);
  await issue(dir, 'admin', '/O=system:masters/CN=homeostat-admin', ca, ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', 'extendedKeyUsage=clientAuth']);
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  fs.writeFileSync(pki.saPrivate, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  fs.writeFileSync(pki.saPublic, publicKey.export({ type: 'spki', format: 'pem' }));
  return pki;
}
