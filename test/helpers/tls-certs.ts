/**
 * Throw-away PKI for SIP-over-TLS tests, made with the openssl CLI (Debian `openssl`) in a temp dir: a
 * CA, a leaf it signs for 127.0.0.1/localhost (server and client use), and a self-signed leaf for the
 * same names that nothing trusts, and a CA-signed leaf that expired in 2020. Also writes `*-bundle.pem` (key + certificate) for peers like baresip
 * that take one file.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPki {
  readonly dir: string;
  readonly caFile: string;
  /** Signed by the CA: SAN IP:127.0.0.1, DNS:localhost. */
  readonly certFile: string;
  readonly keyFile: string;
  readonly bundleFile: string;
  /** Self-signed, same names: a certificate no one here trusts. */
  readonly rogueCertFile: string;
  readonly rogueKeyFile: string;
  /** Signed by the CA for the same names, but valid only in January 2020: expired. */
  readonly expiredCertFile: string;
  readonly expiredKeyFile: string;
  remove(): void;
}

function openssl(args: readonly string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('openssl not found: install the Debian package `openssl`', { cause: err });
    }
    throw err;
  }
}

const SAN = 'subjectAltName=IP:127.0.0.1,DNS:localhost';

/** Makes the PKI (about 100 ms). */
export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'streamfork-tls-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    [
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '2',
      '-subj',
      '/CN=streamfork test CA',
    ],
    dir,
  );
  openssl(['req', ...ec, '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=localhost'], dir);
  writeFileSync(join(dir, 'leaf.ext'), `${SAN}\nextendedKeyUsage=serverAuth,clientAuth\n`);
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'leaf.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-out',
      'leaf.pem',
      '-extfile',
      'leaf.ext',
    ],
    dir,
  );
  openssl(
    [
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'rogue.key',
      '-out',
      'rogue.pem',
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
      '-addext',
      SAN,
    ],
    dir,
  );
  // `openssl ca` is the one subcommand of OpenSSL 3.0 that takes explicit validity dates.
  writeFileSync(
    join(dir, 'ca.cnf'),
    [
      '[ca]',
      'default_ca = test_ca',
      '[test_ca]',
      `dir = ${dir}`,
      'database = $dir/index.txt',
      'new_certs_dir = $dir',
      'serial = $dir/ca.serial',
      'default_md = sha256',
      'policy = any_name',
      '[any_name]',
      'commonName = supplied',
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'ca.serial'), '1000\n');
  openssl(['req', ...ec, '-keyout', 'expired.key', '-out', 'expired.csr', '-subj', '/CN=localhost'], dir);
  openssl(
    [
      'ca',
      '-batch',
      '-config',
      'ca.cnf',
      '-cert',
      'ca.pem',
      '-keyfile',
      'ca.key',
      '-in',
      'expired.csr',
      '-out',
      'expired.pem',
      '-startdate',
      '20200101000000Z',
      '-enddate',
      '20200131000000Z',
      '-extfile',
      'leaf.ext',
      '-notext',
    ],
    dir,
  );
  const bundleFile = join(dir, 'leaf-bundle.pem');
  writeFileSync(
    bundleFile,
    readFileSync(join(dir, 'leaf.key'), 'utf8') + readFileSync(join(dir, 'leaf.pem'), 'utf8'),
  );
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    certFile: join(dir, 'leaf.pem'),
    keyFile: join(dir, 'leaf.key'),
    bundleFile,
    rogueCertFile: join(dir, 'rogue.pem'),
    rogueKeyFile: join(dir, 'rogue.key'),
    expiredCertFile: join(dir, 'expired.pem'),
    expiredKeyFile: join(dir, 'expired.key'),
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
