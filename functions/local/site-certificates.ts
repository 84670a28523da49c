/**
 * HTTPS for the local site listeners: a CA generated on first start under `DATA_DIR/tls/` and, per site
 * hostname, a leaf certificate signed by it whose SANs are the hostname, `localhost` and `127.0.0.1`.
 * A client that trusts only `ca.pem` (curl --cacert, PERL_LWP_SSL_CA_FILE, NODE_EXTRA_CA_CERTS) verifies
 * `https://127.0.0.1:PORT` and, with a hosts entry, `https://<hostname>:PORT`.
 *
 * ECDSA P-256 keys through WebCrypto (a key pair in about a millisecond); the certificate library
 * (@peculiar/x509) is loaded only when something must be generated, so a restart that finds valid files
 * only parses them with Node's own X509Certificate.
 */
import { createPrivateKey, createPublicKey, randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const DAY_MS = 86_400_000;
/** 397 days: what browsers and Apple's TLS policy accept for a server certificate. */
const LEAF_DAYS = 397;
const CA_DAYS = 3650;
/** A leaf this close to its end is issued again at start. */
const RENEW_BEFORE_MS = 30 * DAY_MS;
const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface KeyAndCertificate {
  key: string;
  cert: string;
}

type X509Module = typeof import('@peculiar/x509');
let x509Module: Promise<X509Module> | undefined;
async function x509(): Promise<X509Module> {
  x509Module ??= (async () => {
    // @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API.
    await import('reflect-metadata');
    const mod = await import('@peculiar/x509');
    mod.cryptoProvider.set(webcrypto as unknown as Crypto);
    return mod;
  })();
  return x509Module;
}

/** Positive 128-bit serial (RFC 5280: at most 20 octets, positive). */
const serial = () => {
  const bytes = randomBytes(16);
  bytes[0]! &= 0x7f;
  return bytes.toString('hex');
};

async function writeAtomically(path: string, text: string, mode: number): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, text, { mode });
  await chmod(temp, mode);
  await rename(temp, path);
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

const keyMatches = (keyPem: string, cert: X509Certificate) =>
  createPublicKey(createPrivateKey(keyPem)).export({ type: 'spki', format: 'der' }).equals(cert.publicKey.export({ type: 'spki', format: 'der' }));

async function generateKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function privateKeyPem(mod: X509Module, key: CryptoKey): Promise<string> {
  return mod.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

/** The local CA and the site certificates it issued, all under `<dataDir>/tls/`. */
export class SiteCertificates {
  private readonly issued = new Map<string, Promise<KeyAndCertificate>>();

  private constructor(
    readonly dir: string,
    private readonly ca: { cert: X509Certificate; pem: string; key: string },
    /** True when this start generated the CA (first start on this data dir, or the old one was unusable). */
    readonly caCreated: boolean,
  ) {}

  /** PEM file of the CA certificate: what clients trust. */
  get caFile(): string {
    return join(this.dir, 'ca.pem');
  }

  get caPem(): string {
    return this.ca.pem;
  }

  /** Loads the CA from `<dataDir>/tls/`, or creates it (and its key, mode 0600) when missing or broken. */
  static async open(dataDir: string, now = new Date()): Promise<SiteCertificates> {
    const dir = join(dataDir, 'tls');
    await mkdir(join(dir, 'sites'), { recursive: true });
    const [pem, key] = await Promise.all([readIfExists(join(dir, 'ca.pem')), readIfExists(join(dir, 'ca-key.pem'))]);
    if (pem && key) {
      try {
        const cert = new X509Certificate(pem);
        if (cert.ca && keyMatches(key, cert) && Date.parse(cert.validTo) - now.getTime() > RENEW_BEFORE_MS) return new SiteCertificates(dir, { cert, pem, key }, false);
      } catch {
        // unreadable: a new CA below (leaves it issued stop verifying and are issued again)
      }
    }
    const mod = await x509();
    const keys = await generateKeys();
    const caCert = await mod.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(),
      name: `CN=Appliance emulator local CA ${now.toISOString().slice(0, 10)}, O=upgrade-cp local runtime`,
      notBefore: new Date(now.getTime() - DAY_MS),
      notAfter: new Date(now.getTime() + CA_DAYS * DAY_MS),
      keys,
      signingAlgorithm: ALGORITHM,
      extensions: [
        new mod.BasicConstraintsExtension(true, 0, true),
        new mod.KeyUsagesExtension(mod.KeyUsageFlags.keyCertSign | mod.KeyUsageFlags.cRLSign, true),
        await mod.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    const caPem = caCert.toString('pem');
    const caKey = await privateKeyPem(mod, keys.privateKey);
    // Key first: a crash between the two writes leaves a pair that does not match, which the next start replaces.
    await writeAtomically(join(dir, 'ca-key.pem'), caKey, 0o600);
    await writeAtomically(join(dir, 'ca.pem'), caPem, 0o644);
    return new SiteCertificates(dir, { cert: new X509Certificate(caPem), pem: caPem, key: caKey }, true);
  }

  /** Key and certificate for `hostname` (canonical DNS name): the stored pair while valid, else a new one. */
  forHostname(hostname: string, now = new Date()): Promise<KeyAndCertificate> {
    let pending = this.issued.get(hostname);
    if (!pending) {
      pending = this.load(hostname, now).then((found) => found ?? this.issue(hostname, now));
      pending.catch(() => this.issued.delete(hostname));
      this.issued.set(hostname, pending);
    }
    return pending;
  }

  private files(hostname: string) {
    return { cert: join(this.dir, 'sites', `${hostname}.pem`), key: join(this.dir, 'sites', `${hostname}-key.pem`) };
  }

  private async load(hostname: string, now: Date): Promise<KeyAndCertificate | undefined> {
    const files = this.files(hostname);
    const [cert, key] = await Promise.all([readIfExists(files.cert), readIfExists(files.key)]);
    if (!cert || !key) return undefined;
    try {
      const parsed = new X509Certificate(cert);
      const sans = (parsed.subjectAltName ?? '').split(', ');
      const valid =
        parsed.checkIssued(this.ca.cert) &&
        parsed.verify(this.ca.cert.publicKey) &&
        sans.includes(`DNS:${hostname}`) &&
        Date.parse(parsed.validTo) - now.getTime() > RENEW_BEFORE_MS &&
        keyMatches(key, parsed);
      return valid ? { key, cert } : undefined;
    } catch {
      return undefined;
    }
  }

  private async issue(hostname: string, now: Date): Promise<KeyAndCertificate> {
    const mod = await x509();
    const keys = await generateKeys();
    const caKey = await webcrypto.subtle.importKey('pkcs8', mod.PemConverter.decodeFirst(this.ca.key), ALGORITHM, false, ['sign']);
    const caPublicKey = await new mod.X509Certificate(this.ca.pem).publicKey.export(ALGORITHM, ['verify']);
    const leaf = await mod.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: `CN=${hostname}`,
      issuer: new mod.X509Certificate(this.ca.pem).subject,
      notBefore: new Date(now.getTime() - DAY_MS),
      notAfter: new Date(now.getTime() + LEAF_DAYS * DAY_MS),
      signingKey: caKey,
      publicKey: keys.publicKey,
      signingAlgorithm: ALGORITHM,
      extensions: [
        new mod.BasicConstraintsExtension(false, undefined, true),
        new mod.KeyUsagesExtension(mod.KeyUsageFlags.digitalSignature, true),
        new mod.ExtendedKeyUsageExtension([mod.ExtendedKeyUsage.serverAuth]),
        new mod.SubjectAlternativeNameExtension([
          { type: 'dns', value: hostname },
          { type: 'dns', value: 'localhost' },
          { type: 'ip', value: '127.0.0.1' },
        ]),
        await mod.AuthorityKeyIdentifierExtension.create(caPublicKey),
        await mod.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    const cert = leaf.toString('pem');
    const key = await privateKeyPem(mod, keys.privateKey);
    const files = this.files(hostname);
    await writeAtomically(files.key, key, 0o600);
    await writeAtomically(files.cert, cert, 0o644);
    return { key, cert };
  }
}
