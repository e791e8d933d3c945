// The cluster backends the ingest area measures beside the embedded default:
// a throwaway PostgreSQL (Debian's package; durable settings, as in
// production: fsync and synchronous commit on) and versitygw (an S3 server
// over a directory), both on loopback, in a temporary directory, stopped at
// the end. The bucket is created with one SigV4-signed PUT.
import { spawn, execFileSync } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort, log, sleep, waitFor } from './util.mjs';

const ACCESS = 'benchaccess';
const SECRET = 'benchsecretbenchsecret';
const REGION = 'us-east-1';
const BUCKET = 'playhead-bench';

function pgBin() {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  for (const v of versions) if (existsSync(join(root, v, 'bin', 'initdb'))) return join(root, v, 'bin');
  return null;
}

function versitygw() {
  const candidates = [];
  try {
    const [gobin, gopath] = execFileSync('go', ['env', 'GOBIN', 'GOPATH'], { encoding: 'utf8' }).split('\n');
    if (gobin) candidates.push(join(gobin, 'versitygw'));
    if (gopath) candidates.push(join(gopath.split(':')[0], 'bin', 'versitygw'));
  } catch {
    // no go: PATH only
  }
  for (const dir of (process.env.PATH || '').split(':')) candidates.unshift(join(dir, 'versitygw'));
  return candidates.find((p) => existsSync(p)) || null;
}

/** Bytes of the files under dir. */
export function duBytes(dir) {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) n += duBytes(p);
    else if (e.isFile()) n += statSync(p).size;
  }
  return n;
}

const sha256 = (s) => createHash('sha256').update(s).digest('hex');
const hmac = (k, s) => createHmac('sha256', k).update(s).digest();

/** Creates bucket on the S3 server at endpoint (host:port) with SigV4. */
async function createBucket(endpoint, bucket) {
  const now = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
  const day = now.slice(0, 8);
  const payload = sha256('');
  const headers = `host:${endpoint}\nx-amz-content-sha256:${payload}\nx-amz-date:${now}\n`;
  const signed = 'host;x-amz-content-sha256;x-amz-date';
  const canonical = `PUT\n/${bucket}\n\n${headers}\n${signed}\n${payload}`;
  const scope = `${day}/${REGION}/s3/aws4_request`;
  const toSign = `AWS4-HMAC-SHA256\n${now}\n${scope}\n${sha256(canonical)}`;
  const key = hmac(hmac(hmac(hmac(`AWS4${SECRET}`, day), REGION), 's3'), 'aws4_request');
  const signature = createHmac('sha256', key).update(toSign).digest('hex');
  const res = await fetch(`http://${endpoint}/${bucket}`, {
    method: 'PUT',
    headers: {
      'x-amz-content-sha256': payload,
      'x-amz-date': now,
      authorization: `AWS4-HMAC-SHA256 Credential=${ACCESS}/${scope}, SignedHeaders=${signed}, Signature=${signature}`,
    },
  });
  if (!res.ok) throw new Error(`create bucket: ${res.status} ${await res.text()}`);
}

/**
 * Starts PostgreSQL and versitygw; resolves with { index, objects, env,
 * sizes(), stop() }, or with { missing } naming what is not installed.
 */
export async function start() {
  const bin = pgBin();
  const gw = versitygw();
  if (!bin || !gw) return { missing: [!bin && 'PostgreSQL (initdb)', !gw && 'versitygw'].filter(Boolean).join(' and ') };
  const dir = mkdtempSync(join(tmpdir(), 'playhead-bench-backends-'));
  const procs = [];
  const stop = async () => {
    for (const p of procs) if (p.exitCode === null) p.kill('SIGINT');
    await sleep(1500);
    for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // PostgreSQL refuses to run as root: as root, run it as Debian's postgres user.
    const asRoot = userInfo().uid === 0;
    const run = (cmd, args) => (asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args]);
    const pgdir = join(dir, 'pg');
    mkdirSync(pgdir);
    if (asRoot) {
      const u = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }));
      const g = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }));
      chownSync(dir, u, g);
      chownSync(pgdir, u, g);
    }
    const data = join(pgdir, 'data');
    const [c1, a1] = run(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C']);
    execFileSync(c1, a1, { stdio: 'ignore' });
    const pgPort = await freePort();
    const [c2, a2] = run(join(bin, 'postgres'), ['-D', data, '-h', '127.0.0.1', '-p', String(pgPort), '-k', pgdir, '-c', 'max_connections=200']);
    const pg = spawn(c2, a2, { stdio: 'ignore' });
    procs.push(pg);
    const psql = (sql) => execFileSync(join(bin, 'psql'), ['-h', '127.0.0.1', '-p', String(pgPort), '-U', 'postgres', '-d', 'postgres', '-Atqc', sql], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    await waitFor(() => psql('SELECT 1') === '1', 'PostgreSQL to start', 30_000, 200);
    psql('CREATE DATABASE playhead');

    const s3dir = join(dir, 's3');
    mkdirSync(s3dir);
    const s3Port = await freePort();
    const endpoint = `127.0.0.1:${s3Port}`;
    const s3 = spawn(gw, ['--port', endpoint, '--region', REGION, '--quiet', 'posix', s3dir], {
      stdio: 'ignore',
      env: { ...process.env, ROOT_ACCESS_KEY: ACCESS, ROOT_SECRET_KEY: SECRET },
    });
    procs.push(s3);
    await waitFor(async () => (await fetch(`http://${endpoint}/`).catch(() => null)) !== null, 'versitygw to start', 30_000, 200);
    await createBucket(endpoint, BUCKET);
    log(`backends: PostgreSQL on 127.0.0.1:${pgPort}, versitygw on ${endpoint}`);
    return {
      index: `postgres://postgres@127.0.0.1:${pgPort}/playhead?sslmode=disable`,
      objects: `s3://${BUCKET}?endpoint=${endpoint}&region=${REGION}&tls=false&path_style=true`,
      env: { AWS_ACCESS_KEY_ID: ACCESS, AWS_SECRET_ACCESS_KEY: SECRET },
      /** The index's and the bucket's bytes now. */
      sizes: () => ({ indexBytes: Number(psql(`SELECT pg_database_size('playhead')`)), objectBytes: duBytes(join(s3dir, BUCKET)) }),
      /** Empties the index and the bucket, for the next step. */
      reset: async () => {
        psql('DROP DATABASE playhead WITH (FORCE)');
        psql('CREATE DATABASE playhead');
        rmSync(join(s3dir, BUCKET), { recursive: true, force: true });
        await createBucket(endpoint, BUCKET);
      },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
