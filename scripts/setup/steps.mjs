// Everything `npm test` needs beyond node_modules, one entry per thing: what it is, why the tests
// need it, where it is cached, how to tell it is ready, and how to fetch or build it. The runner
// (./index.mjs) prepares them in order, prints one line per step, and fails fast (or skips an
// optional one) with one clear line. Adding a server or tool is one entry here; docs/testing.md.
//
// A step object:
//   name        id used by harnesses: ensureStep('kafka-jars')
//   why         what the tests use it for (printed when it is fetched, and in `--list`)
//   needs       steps whose results it uses (prepared first)
//   optional    when it cannot be had here, the tests needing it are skipped (a failure under CI=true)
//   background  `npm test` starts it first and runs its tests last (a long build)
//   usedBy      prepared by `npm test` only when one of these paths exists (tests not written yet)
//   tests       the vitest projects that need it and run after the others (skipped as a whole when an
//               optional step they need is missing); the `unit` and `integration` projects need every
//               step that names no project
//   dir         where it keeps what it fetched, when tests look there themselves (default .cache/<name>)
//   find(ctx)   the result when ready without work (on the system, or cached), else undefined
//   fetch(ctx)  does the work, calling ctx.fetching('what, from where') first; returns the result
// A result: { path, summary, version?, env?: {NAME: value}, pathDirs?: [dirs to put first on PATH] }
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { goModuleHash, jksTrustStore, splitPems, unzip } from './archives.mjs';
import { aptCandidate, haveApt, libraryDirs, unpackDebs } from './debian.mjs';
import {
  REPO_ROOT,
  SetupError,
  Unavailable,
  download,
  probe,
  publishDir,
  readStamp,
  run,
  scratchDir,
  sha256,
  shown,
  versionAtLeast,
  which,
  writeStamp,
} from './lib.mjs';

// ------------------------------------------------------------------- Java --

function javaInfo(bin) {
  const out = probe(bin, ['-XshowSettings:properties', '-version']);
  if (!out) return undefined;
  const home = /^\s*java\.home = (.+)$/m.exec(out)?.[1]?.trim();
  const version = /^\s*java\.version = (.+)$/m.exec(out)?.[1]?.trim();
  const vendor = /^\s*java\.vm\.name = (.+)$/m.exec(out)?.[1]?.trim();
  if (!home || !version) return undefined;
  return { home, version, vendor, major: Number.parseInt(version.startsWith('1.') ? version.slice(2) : version, 10) };
}

function javaResult(info, where) {
  return {
    path: path.join(info.home, 'bin', 'java'),
    version: info.version,
    summary: `Java ${info.version} (${where}: ${shown(info.home)})`,
    env: { JAVA_HOME: info.home },
    pathDirs: [path.join(info.home, 'bin')],
  };
}

/** The unpacked Debian runtime's home (usr/lib/jvm/java-17-openjdk-<arch>). */
function unpackedJavaHome(prefix) {
  const jvm = path.join(prefix, 'usr', 'lib', 'jvm');
  const name = fs.existsSync(jvm) ? fs.readdirSync(jvm).find((d) => /^java-17-openjdk-[^.]+$/.test(d)) : undefined;
  return name ? path.join(jvm, name) : undefined;
}

/** CA certificates of this machine (corporate ones included) and Node's own Mozilla set. */
function caCertificates() {
  const pems = [...tls.rootCertificates];
  for (const f of ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', process.env.NODE_EXTRA_CA_CERTS]) {
    if (f && fs.existsSync(f)) pems.push(...splitPems(fs.readFileSync(f, 'utf8')));
  }
  return pems;
}

const java = {
  name: 'java',
  why: 'runs the Kafka broker (and the Cassandra node and Flink jobs) the integration tests start',
  find(ctx) {
    const seen = [];
    for (const [bin, where] of [
      [process.env.JAVA_HOME && path.join(process.env.JAVA_HOME, 'bin', 'java'), 'JAVA_HOME'],
      [which('java'), 'PATH'],
    ]) {
      if (!bin) continue;
      const info = javaInfo(bin);
      if (info && info.major >= 17) return javaResult(info, where);
      seen.push(`${bin}: ${info ? info.version : 'does not run'}`);
    }
    ctx.note(seen.length ? `no Java 17+ (${seen.join(', ')})` : 'no java on PATH or in JAVA_HOME');
    const home = readStamp(ctx.dir) && unpackedJavaHome(ctx.dir);
    const info = home && javaInfo(path.join(home, 'bin', 'java'));
    return info ? javaResult(info, 'cached') : undefined;
  },
  async fetch(ctx) {
    if (!haveApt() || !aptCandidate('openjdk-17-jre-headless')) {
      throw new Unavailable(
        `${ctx.noted() ?? 'no Java 17 or newer'} and no Debian package to fetch`,
        'install a JDK 17+ (https://adoptium.net) or set JAVA_HOME',
      );
    }
    ctx.fetching("Debian's openjdk-17-jre-headless, unpacked without root (apt-get download + dpkg-deb -x)");
    await unpackDebs({
      pkgs: ['openjdk-17-jre-headless'],
      // the JVM itself needs only libc and zlib; the other dependencies serve AWT, sound and printing
      withDeps: false,
      prefix: ctx.dir,
      log: ctx.log,
      finish(tmp) {
        // the package links lib/security/cacerts to /etc/ssl/certs/java/cacerts, which the
        // ca-certificates-java package fills as root: write that trust store here instead
        const home = unpackedJavaHome(tmp);
        if (!home) throw new SetupError('openjdk-17-jre-headless has no usr/lib/jvm/java-17-openjdk-*', ctx.log);
        const store = path.join(tmp, 'etc', 'ssl', 'certs', 'java', 'cacerts');
        fs.mkdirSync(path.dirname(store), { recursive: true });
        fs.writeFileSync(store, jksTrustStore(caCertificates()));
        const link = path.join(home, 'lib', 'security', 'cacerts');
        fs.rmSync(link, { force: true });
        fs.symlinkSync(path.relative(path.dirname(link), store), link);
      },
    });
    const home = unpackedJavaHome(ctx.dir);
    const info = home && javaInfo(path.join(home, 'bin', 'java'));
    if (!info) throw new SetupError(`the unpacked Java in ${shown(ctx.dir)} does not run`, ctx.log);
    return javaResult(info, 'Debian package, unpacked');
  },
};

// ------------------------------------------------------------------ Maven --

// Apache Maven's binary distribution on Maven Central, used where no `mvn` is installed
const MAVEN = {
  version: '3.9.16',
  sha512: '831a8591fe20c8243b1dbe7d71e3244f31d1665b0804b2e825e38cbbe5ce0cafb8338851f90780735568773e0a6cd07bbec107cda0b896b008b861075358b6f6',
};

function mavenResult(bin, env, where) {
  const version = /Apache Maven (\d+\.\d+\.\d+)/.exec(probe(bin, ['-v'], env) ?? '')?.[1];
  // on PATH for the tests that run `mvn` themselves (the Flink connector jars of an export)
  return version && versionAtLeast(version, '3.6.3')
    ? { path: bin, version, summary: `Apache Maven ${version} (${where})`, pathDirs: [path.dirname(bin)] }
    : undefined;
}

const maven = {
  name: 'maven',
  why: 'resolves the server jars (Kafka, Cassandra) from Maven Central exactly as Maven does',
  needs: ['java'],
  find(ctx) {
    const env = ctx.envOf('java');
    const system = which('mvn');
    const r = system && mavenResult(system, env, system);
    if (r) return r;
    const cached = path.join(ctx.dir, `apache-maven-${MAVEN.version}`, 'bin', 'mvn');
    return readStamp(ctx.dir)?.version === MAVEN.version ? mavenResult(cached, env, 'cached') : undefined;
  },
  async fetch(ctx) {
    ctx.fetching(`Apache Maven ${MAVEN.version} from Maven Central (no mvn ≥ 3.6.3 on PATH)`);
    const url = `https://repo1.maven.org/maven2/org/apache/maven/apache-maven/${MAVEN.version}/apache-maven-${MAVEN.version}-bin.tar.gz`;
    const archive = await download(url, { sha512: MAVEN.sha512, log: ctx.log });
    const tmp = scratchDir(ctx.dir);
    await run('tar', ['-xzf', archive, '-C', tmp], { log: ctx.log, what: 'tar' });
    writeStamp(tmp, { version: MAVEN.version });
    publishDir(tmp, ctx.dir);
    const r = mavenResult(path.join(ctx.dir, `apache-maven-${MAVEN.version}`, 'bin', 'mvn'), ctx.envOf('java'), 'fetched');
    if (!r) throw new SetupError(`the fetched Maven in ${shown(ctx.dir)} does not run`, ctx.log);
    return r;
  },
};

/**
 * A folder of server jars: `mvn dependency:copy-dependencies` on a pom that names the server.
 * Maven's own resolution (parents, BOMs, exclusions, nearest wins) decides the jar set; the
 * local repository (~/.m2) makes a second clone warm.
 */
function mavenJars({ name, why, pom, property, label, mainJar, usedBy }) {
  const pomPath = path.join(REPO_ROOT, pom);
  const versionOf = (text) => new RegExp(`<${property.replace(/\./g, '\\.')}>([^<]+)</`).exec(text)?.[1]?.trim();
  const summary = (dir, stamp) => `${label} ${stamp.version}: ${stamp.jars} jars, ${Math.round(stamp.bytes / 1e6)} MB (${shown(dir)})`;
  return {
    name,
    why,
    needs: ['java', 'maven'],
    usedBy,
    find(ctx) {
      const stamp = readStamp(ctx.dir);
      return stamp?.key === sha256(fs.readFileSync(pomPath, 'utf8')) ? { path: ctx.dir, version: stamp.version, summary: summary(ctx.dir, stamp) } : undefined;
    },
    async fetch(ctx) {
      const text = fs.readFileSync(pomPath, 'utf8');
      const version = versionOf(text);
      if (!version) throw new SetupError(`${pom} has no <${property}>`, undefined);
      const mvn = ctx.result('maven');
      ctx.fetching(`${label} ${version} jars from Maven Central with mvn ${mvn.version} (${pom})`);
      const tmp = scratchDir(ctx.dir);
      try {
        await run(mvn.path, ['-B', '-ntp', '-f', pomPath, 'dependency:copy-dependencies', `-DoutputDirectory=${tmp}`], {
          env: ctx.envOf('java', 'maven'),
          log: ctx.log,
          what: 'mvn dependency:copy-dependencies',
        });
        const jars = fs.readdirSync(tmp).filter((f) => f.endsWith('.jar'));
        if (!jars.includes(mainJar(version))) throw new SetupError(`mvn finished but ${mainJar(version)} is missing`, ctx.log);
        const bytes = jars.reduce((s, f) => s + fs.statSync(path.join(tmp, f)).size, 0);
        const stamp = { key: sha256(text), version, jars: jars.length, bytes };
        writeStamp(tmp, stamp);
        publishDir(tmp, ctx.dir);
        return { path: ctx.dir, version, summary: summary(ctx.dir, stamp) };
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    },
  };
}

const kafkaJars = mavenJars({
  name: 'kafka-jars',
  why: 'the Kafka broker (KRaft, one node) the integration and end-to-end tests start',
  pom: 'test/integration/servers/kafka/pom.xml',
  property: 'kafka.version',
  label: 'Apache Kafka',
  mainJar: (v) => `kafka_2.13-${v}.jar`,
});

const cassandraJars = mavenJars({
  name: 'cassandra-jars',
  why: 'the Cassandra node the Cassandra output and history tests start',
  pom: 'test/integration/servers/cassandra/pom.xml',
  property: 'cassandra.version',
  label: 'Apache Cassandra',
  mainJar: (v) => `cassandra-all-${v}.jar`,
  usedBy: ['test/integration/servers/cassandra.ts'],
});

// --------------------------------------------------------------------- Go --

// The Go toolchain as the Go module proxy serves it (module golang.org/toolchain, what `go`
// itself downloads for GOTOOLCHAIN), checked against these module hashes (go.sum's "h1:").
const GO = {
  version: '1.26.8',
  min: '1.23', // influxdb v2.7.12's go.mod says go 1.23.0
  h1: {
    'linux-amd64': 'h1:ZOmGe1OnfREDMIdb1Qi4G9JSuDPBLGExZMQ4nis1RXM=',
    'linux-arm64': 'h1:sYL/O6MqS68ML0kjsQ36WoYIpJqkw60TxizWUYUKQMc=',
    'darwin-amd64': 'h1:7/9KPPN8PckcA9s91hm2jmQMhzW4KyTJXHIs45L0C9M=',
    'darwin-arm64': 'h1:dFjGhY6f8DTsY8/rLchUTDRRfjJP4pCrGCwxvHFT2Fg=',
  },
};

function goResult(bin, where) {
  const out = probe(bin, ['env', 'GOVERSION', 'GOROOT']);
  const [goversion, goroot] = (out ?? '').trim().split('\n');
  const version = goversion?.replace(/^go/, '');
  if (!version || !goroot || !versionAtLeast(version, GO.min)) return undefined;
  return { path: bin, version, summary: `Go ${version} (${where})`, pathDirs: [path.join(goroot, 'bin')] };
}

function goProxy() {
  const first = (process.env.GOPROXY ?? '').split(/[,|]/).find((p) => /^https?:\/\//.test(p));
  return (first ?? 'https://proxy.golang.org').replace(/\/$/, '');
}

const go = {
  name: 'go',
  why: 'builds influxd 1.8 and 2.7 from source (InfluxDB v2 API tests)',
  find(ctx) {
    const system = which('go');
    const r = system && goResult(system, system);
    if (r) return r;
    if (system) ctx.note(`${system} is older than Go ${GO.min}`);
    return readStamp(ctx.dir)?.version === GO.version ? goResult(path.join(ctx.dir, 'bin', 'go'), 'cached') : undefined;
  },
  async fetch(ctx) {
    const goos = { linux: 'linux', darwin: 'darwin' }[process.platform];
    const goarch = { x64: 'amd64', arm64: 'arm64' }[process.arch];
    const platform = `${goos}-${goarch}`;
    const h1 = GO.h1[platform];
    if (!h1)
      throw new Unavailable(
        `no Go ${GO.min}+ on PATH, and no pinned Go toolchain for ${process.platform}-${process.arch}`,
        'install Go from https://go.dev/dl',
      );
    const mod = `golang.org/toolchain@v0.0.1-go${GO.version}.${platform}`;
    ctx.fetching(`Go ${GO.version} from the Go module proxy (${mod}; ${ctx.noted() ?? 'no go on PATH'})`);
    const zip = await download(`${goProxy()}/golang.org/toolchain/@v/v0.0.1-go${GO.version}.${platform}.zip`, {
      verify: async (f) => goModuleHash(await fs.promises.readFile(f)) === h1,
      name: `go${GO.version}.${platform}.zip`,
      log: ctx.log,
    });
    const tmp = scratchDir(ctx.dir);
    unzip(await fs.promises.readFile(zip), tmp, {
      stripPrefix: `${mod}/`,
      executable: (n) => n.startsWith('bin/') || n.startsWith('pkg/tool/'),
    });
    writeStamp(tmp, { version: GO.version });
    publishDir(tmp, ctx.dir);
    const r = goResult(path.join(ctx.dir, 'bin', 'go'), 'fetched');
    if (!r) throw new SetupError(`the fetched Go in ${shown(ctx.dir)} does not run`, ctx.log);
    return r;
  },
};

// ------------------------------------------------------------------- Rust --

// libflux (the Flux engine of influxd 2.x) pins Rust 1.72 in its rust-toolchain.toml
const RUST_MIN = '1.72';

function rustVersion(bin, env) {
  return /^\S+ (\d+\.\d+\.\d+)/.exec(probe(bin, ['--version'], env) ?? '')?.[1];
}

function haveCCompiler(envPath) {
  return ['cc', 'gcc', 'clang'].some((c) => which(c, envPath));
}

/** Runs a program of the unpacked Debian Rust with the libraries this machine lacked. */
function rustWrapper(prefix, program) {
  const dirs = libraryDirs(prefix).map((d) => `$P/${path.relative(prefix, d)}`);
  return `#!/bin/sh
# Debian's ${program} (rustc-web/cargo-web) unpacked without root by scripts/setup/steps.mjs (docs/testing.md)
P="$(cd "$(dirname "$0")/.." && pwd)"
export LD_LIBRARY_PATH="${dirs.join(':')}\${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
exec "$P/usr/bin/${program}" "$@"
`;
}

const rust = {
  name: 'rust',
  why: 'builds libflux, the Flux engine influxd 2.7 links (Rust, through cgo)',
  optional: true,
  tests: ['influx27', 'flink'],
  find(ctx) {
    const cargo = which('cargo');
    const version = cargo && which('rustc') && rustVersion(which('rustc'));
    if (version && versionAtLeast(version, RUST_MIN)) return { path: cargo, version, summary: `Rust ${version} (${cargo})` };
    ctx.note(cargo ? `cargo on PATH has Rust ${version ?? '(does not run)'}, older than ${RUST_MIN}` : 'no cargo on PATH');
    const bin = path.join(ctx.dir, 'bin');
    const cached = readStamp(ctx.dir) && rustVersion(path.join(bin, 'rustc'));
    return cached
      ? { path: path.join(bin, 'cargo'), version: cached, summary: `Rust ${cached} (Debian's, unpacked: ${shown(ctx.dir)})`, pathDirs: [bin] }
      : undefined;
  },
  async fetch(ctx) {
    const remedy = 'install Rust (https://rustup.rs)';
    const candidate = haveApt() ? aptCandidate('cargo-web') : undefined;
    if (!candidate || !versionAtLeast(candidate, RUST_MIN)) throw new Unavailable(`${ctx.noted()}, and no Debian package cargo-web to fetch`, remedy);
    // rustc links with the system's C compiler; apt would otherwise name gcc as a package to unpack
    if (!haveCCompiler(process.env.PATH))
      throw new Unavailable(`${ctx.noted()}, and no C compiler (cc) for rustc to link with`, 'install one (Debian: apt-get install build-essential)');
    ctx.fetching(
      `Debian's cargo-web and rustc-web ${candidate.split('+')[0]}, unpacked without root (apt-get download + dpkg-deb -x, ~100 MB; ${ctx.noted()})`,
    );
    await unpackDebs({
      pkgs: ['cargo-web', 'rustc-web'],
      prefix: ctx.dir,
      log: ctx.log,
      async finish(tmp) {
        fs.mkdirSync(path.join(tmp, 'bin'));
        for (const program of ['cargo', 'rustc', 'rustdoc']) {
          fs.writeFileSync(path.join(tmp, 'bin', program), rustWrapper(tmp, program), { mode: 0o755 });
        }
      },
    });
    const r = rust.find({ ...ctx, note: () => {} });
    if (!r) throw new SetupError(`the unpacked Rust in ${shown(ctx.dir)} does not run`, ctx.log);
    return r;
  },
};

// ---------------------------------------------------------------- InfluxDB --

const BUILD_INFLUXD = path.join(REPO_ROOT, 'test', 'integration', 'servers', 'build-influxd.sh');

function influxdVersion(bin) {
  return /InfluxDB v?(\d+\.\d+\.\d+\S*)/.exec(probe(bin, ['version']) ?? '')?.[1];
}

/** influxd built from source with Go (test/integration/servers/build-influxd.sh). */
function influxdBuild({ name, target, version, why, optional, background, tests, needsRust, envOverride, expected }) {
  const binary = (dir) => path.join(dir, `influxd-${target}`);
  const result = (bin, where) => ({ path: bin, version, summary: `influxd ${version} (${where})` });
  return {
    name,
    why,
    needs: needsRust ? ['go', 'rust'] : ['go'],
    optional,
    background,
    tests,
    find(ctx) {
      const override = process.env[envOverride];
      if (override) return fs.existsSync(override) ? result(override, envOverride) : undefined;
      return readStamp(ctx.dir)?.version === version && fs.existsSync(binary(ctx.dir)) ? result(binary(ctx.dir), shown(binary(ctx.dir))) : undefined;
    },
    async fetch(ctx) {
      if (process.platform === 'win32') throw new Unavailable('building influxd needs bash', 'run the tests on Linux or macOS');
      const env = needsRust ? ctx.envOf('go', 'rust') : ctx.envOf('go');
      if (needsRust && !haveCCompiler(env.PATH)) {
        throw new Unavailable('no C compiler (cc) found (influxd 2.x links libflux through cgo)', 'install one (Debian: apt-get install build-essential)');
      }
      // the influxdata/pkg-config wrapper that builds libflux hands every other library to the system's pkg-config
      if (needsRust && !which('pkg-config', env.PATH)) {
        throw new Unavailable(
          'no pkg-config found (the wrapper that builds libflux for influxd 2.x calls it)',
          'install it (Debian: apt-get install pkg-config)',
        );
      }
      ctx.fetching(
        `influxd ${version}: building it from source with ${ctx.result('go').summary}${needsRust ? ` and ${ctx.result('rust').summary}` : ''} (~${expected})`,
      );
      const tmp = scratchDir(ctx.dir);
      try {
        await run('bash', [BUILD_INFLUXD, target, binary(tmp)], {
          env: { ...env, INFLUXD_VERSION: version },
          log: ctx.log,
          nice: background,
          what: 'build-influxd.sh',
        });
        const built = influxdVersion(binary(tmp));
        if (built !== version) throw new SetupError(`the built influxd says version ${built}, expected ${version}`, ctx.log);
        writeStamp(tmp, { version });
        publishDir(tmp, ctx.dir);
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
      }
      return result(binary(ctx.dir), shown(binary(ctx.dir)));
    },
  };
}

const influxd18 = influxdBuild({
  name: 'influxd-1.8',
  target: '1.8',
  version: '1.8.10',
  why: 'InfluxDB 1.8: the v2 compatibility API (token, Flux) of the InfluxDB output and history tests',
  envOverride: 'TS_ENGINE_INFLUXD_18',
  expected: '2 min on 2 cores with empty Go caches',
});

const influxd27 = influxdBuild({
  name: 'influxd-2.7',
  target: '2.7',
  version: '2.7.12',
  why: 'InfluxDB OSS 2.7, the real v2 server (orgs, buckets, tokens) of the InfluxDB v2 tests',
  optional: true,
  background: true,
  tests: ['influx27', 'flink'],
  needsRust: true,
  envOverride: 'TS_ENGINE_INFLUXD_27',
  expected: '7-20 min on 2 cores with empty Go and cargo caches, 20 s warm',
});

const influxd1x = {
  name: 'influxd-1.x',
  why: 'the InfluxDB 1.x server (v1 API) of the InfluxDB output, history and connection tests',
  find(ctx) {
    const candidates = [
      [process.env.TS_ENGINE_INFLUXD, 'TS_ENGINE_INFLUXD'],
      [which('influxd'), 'system'],
      [readStamp(ctx.dir) && path.join(ctx.dir, 'usr', 'bin', 'influxd'), 'Debian package, unpacked'],
    ];
    for (const [bin, where] of candidates) {
      const version = bin && influxdVersion(bin);
      if (version?.startsWith('1.')) return { path: bin, version, summary: `influxd ${version} (${where}: ${shown(bin)})` };
    }
    return undefined;
  },
  async fetch(ctx) {
    if (haveApt() && aptCandidate('influxdb')) {
      ctx.fetching("Debian's influxdb package, unpacked without root (apt-get download + dpkg-deb -x)");
      await unpackDebs({ pkgs: ['influxdb'], withDeps: false, prefix: ctx.dir, log: ctx.log });
      const bin = path.join(ctx.dir, 'usr', 'bin', 'influxd');
      const version = influxdVersion(bin);
      if (!version) throw new SetupError(`the unpacked ${shown(bin)} does not run`, ctx.log);
      return { path: bin, version, summary: `influxd ${version} (Debian package, unpacked: ${shown(bin)})` };
    }
    ctx.fetching('no Debian influxdb package here: the InfluxDB 1.x tests use influxd 1.8 built from source');
    const r = await ctx.ensure('influxd-1.8');
    return { ...r, summary: `${r.summary}, standing in for Debian's 1.6` };
  },
};

// --------------------------------------------------------------- Chromium --

const FONTS_CONF = `<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<!-- written by scripts/setup/steps.mjs: the fonts of Debian's Chromium unpacked beside this file -->
<fontconfig>
  <dir prefix="relative">usr/share/fonts</dir>
  <dir>/usr/share/fonts</dir>
  <cachedir prefix="relative">fontconfig-cache</cachedir>
  <include ignore_missing="yes" prefix="relative">etc/fonts/conf.d</include>
</fontconfig>
`;

function chromiumWrapper(prefix) {
  const dirs = libraryDirs(prefix).map((d) => `$P/${path.relative(prefix, d)}`);
  return `#!/bin/sh
# Debian's Chromium and the libraries it lacked on this machine, unpacked without root by
# scripts/setup/steps.mjs (docs/testing.md); runs it with those libraries and fonts.
P="$(cd "$(dirname "$0")" && pwd)"
export LD_LIBRARY_PATH="${dirs.join(':')}\${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export FONTCONFIG_FILE="$P/fonts.conf"
exec "$P/usr/lib/chromium/chromium" "$@"
`;
}

async function playwrightChromium() {
  try {
    const { chromium } = await import('playwright-core');
    const bin = chromium.executablePath();
    return bin && fs.existsSync(bin) ? bin : undefined;
  } catch {
    return undefined;
  }
}

const chromium = {
  name: 'chromium',
  why: 'the browser of the end-to-end tests of the workbench (Playwright)',
  async find(ctx) {
    const env = process.env.CHROMIUM_PATH;
    if (env) return fs.existsSync(env) ? { path: env, summary: `Chromium (CHROMIUM_PATH: ${env})`, env: { CHROMIUM_PATH: env } } : undefined;
    const system = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));
    if (system) return { path: system, summary: `Chromium (system: ${system})`, env: { CHROMIUM_PATH: system } };
    const wrapper = path.join(ctx.dir, 'chromium.sh');
    if (readStamp(ctx.dir) && fs.existsSync(wrapper))
      return { path: wrapper, summary: `Debian's Chromium (unpacked: ${shown(ctx.dir)})`, env: { CHROMIUM_PATH: wrapper } };
    const own = await playwrightChromium();
    return own ? { path: own, summary: `Playwright's Chromium (${own})`, env: { CHROMIUM_PATH: own } } : undefined;
  },
  async fetch(ctx) {
    if (haveApt() && aptCandidate('chromium')) {
      ctx.fetching("Debian's chromium and the libraries it needs, unpacked without root (apt-get download + dpkg-deb -x, ~200 MB)");
      await unpackDebs({
        pkgs: ['chromium'],
        prefix: ctx.dir,
        log: ctx.log,
        async finish(tmp) {
          fs.writeFileSync(path.join(tmp, 'fonts.conf'), FONTS_CONF);
          fs.writeFileSync(path.join(tmp, 'chromium.sh'), chromiumWrapper(tmp), { mode: 0o755 });
          // proves the libraries are complete before anything relies on them
          await run(path.join(tmp, 'chromium.sh'), ['--headless', '--no-sandbox', '--disable-gpu', '--dump-dom', 'data:text/html,<p>ok</p>'], {
            log: ctx.log,
            what: 'a first start of the unpacked Chromium',
          });
        },
      });
      const wrapper = path.join(ctx.dir, 'chromium.sh');
      return { path: wrapper, summary: `Debian's Chromium (unpacked: ${shown(ctx.dir)})`, env: { CHROMIUM_PATH: wrapper } };
    }
    ctx.fetching("Playwright's Chromium (npx playwright install chromium; needs access to Playwright's download server)");
    await run(process.execPath, [path.join(REPO_ROOT, 'node_modules', 'playwright-core', 'cli.js'), 'install', 'chromium'], {
      log: ctx.log,
      what: 'npx playwright install chromium',
    }).catch((e) => {
      throw new Unavailable(
        `no Chromium found and Playwright could not download one (${e.message})`,
        "install Chromium (Debian: apt-get install chromium) or run 'npx playwright install --with-deps chromium'",
      );
    });
    const own = await playwrightChromium();
    if (!own) throw new SetupError('npx playwright install chromium left no browser', ctx.log);
    return { path: own, summary: `Playwright's Chromium (${own})`, env: { CHROMIUM_PATH: own } };
  },
};

// ---------------------------------------------------------------- Python --

function pythonVersion(bin) {
  return probe(bin, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'])?.trim();
}

const python = {
  name: 'python',
  why: "runs the Python the Flink export generates (unit tests), and creates the Flink tests' virtual environment",
  find(ctx) {
    const bin = which('python3');
    const version = bin && pythonVersion(bin);
    if (version && versionAtLeast(version, '3.9')) return { path: bin, version, summary: `Python ${version} (${bin})` };
    ctx.note(bin ? `${bin} is Python ${version ?? '(does not run)'}` : 'no python3 on PATH');
    return undefined;
  },
  fetch(ctx) {
    throw new Unavailable(`${ctx.noted()}; the tests need Python 3.9 or newer`, 'install python3 (Debian: apt-get install python3)');
  },
};

// The Flink tests (test/integration/targets/flink) look for the venv and the connector jars
// themselves, at these places (flink-helpers.ts); the versions are the export's own pins.
const FLINK_EXPORT = path.join(REPO_ROOT, 'engine', 'targets', 'flink', 'export-flink.ts');
const FLINK_TESTS = 'test/integration/targets/flink';
const FLINK_PYTHON = ['3.9', '3.12']; // the Python versions apache-flink 2.x publishes wheels for
// pip itself, for a Python whose venv module lacks ensurepip (Debian without python3-venv)
const PIP_WHEEL = {
  url: 'https://files.pythonhosted.org/packages/44/3c/d717024885424591d5376220b5e836c2d5293ce2011523c9de23ff7bf068/pip-25.3-py3-none-any.whl',
  sha256: '9655943313a94722b7774661c21049070f6bbb0a1516bf02f7c8d5d9201514cd',
};

/** apache-flink and the Kafka connector coordinates `ts-engine export --target flink` pins. */
function flinkPins() {
  const text = fs.existsSync(FLINK_EXPORT) ? fs.readFileSync(FLINK_EXPORT, 'utf8') : '';
  const coord = (name) => {
    const m = new RegExp(`export const ${name} = \\{ group: '([^']+)', artifact: '([^']+)', version: '([^']+)' \\}`).exec(text);
    return m ? { group: m[1], artifact: m[2], version: m[3] } : undefined;
  };
  const pins = {
    flink: /export const APACHE_FLINK_VERSION = '([^']+)'/.exec(text)?.[1],
    connector: coord('KAFKA_CONNECTOR'),
    clients: coord('KAFKA_CLIENTS'),
  };
  if (!pins.flink || !pins.connector || !pins.clients) {
    throw new SetupError(`cannot read APACHE_FLINK_VERSION, KAFKA_CONNECTOR and KAFKA_CLIENTS from ${shown(FLINK_EXPORT)}`, undefined);
  }
  return pins;
}

/** A Python 3.9–3.12 for the venv: python3 when it fits, else a versioned one on PATH. */
function venvPython(python3) {
  const fits = (v) => versionAtLeast(v, FLINK_PYTHON[0]) && versionAtLeast(FLINK_PYTHON[1], v);
  if (fits(python3.version)) return python3;
  for (const name of ['python3.12', 'python3.11', 'python3.10', 'python3.9']) {
    const bin = which(name);
    const version = bin && pythonVersion(bin);
    if (version && fits(version)) return { path: bin, version };
  }
  return undefined;
}

/** Rewrites the venv's own path in its scripts and pyvenv.cfg (it was built under another name). */
function relocateVenv(from, to) {
  const files = [path.join(from, 'pyvenv.cfg'), ...fs.readdirSync(path.join(from, 'bin')).map((f) => path.join(from, 'bin', f))];
  for (const f of files) {
    const st = fs.lstatSync(f);
    if (!st.isFile() || st.size > 1 << 20) continue;
    const text = fs.readFileSync(f);
    if (text.includes(from)) fs.writeFileSync(f, text.toString('utf8').replaceAll(from, to), { mode: st.mode });
  }
}

const flinkVenv = {
  name: 'flink-venv',
  why: 'PyFlink for the Flink parity tests (a local Flink in a virtual environment)',
  needs: ['python', 'java'],
  optional: true,
  background: true,
  tests: ['flink'],
  usedBy: [FLINK_TESTS],
  dir: process.env.TS_ENGINE_FLINK_VENV ? path.resolve(process.env.TS_ENGINE_FLINK_VENV) : path.join(REPO_ROOT, '.cache', 'flink-venv'),
  find(ctx) {
    const { flink } = flinkPins();
    const python = path.join(ctx.dir, 'bin', 'python');
    const version = fs.existsSync(python) && probe(python, ['-c', "import pyflink, importlib.metadata as m; print(m.version('apache-flink'))"])?.trim();
    if (version !== flink) return undefined;
    return {
      path: python,
      version: flink,
      summary: `apache-flink ${flink} (${shown(ctx.dir)})`,
      env: { TS_ENGINE_FLINK_VENV: ctx.dir },
      // Flink starts its Python workers with the `python` first on PATH: the venv's
      pathDirs: [path.join(ctx.dir, 'bin')],
    };
  },
  async fetch(ctx) {
    const { flink } = flinkPins();
    const py = venvPython(ctx.result('python'));
    if (!py) {
      throw new Unavailable(
        `apache-flink ${flink} needs Python ${FLINK_PYTHON.join('–')} (python3 is ${ctx.result('python').version})`,
        `install one of them (python3.${FLINK_PYTHON[1].split('.')[1]} on PATH)`,
      );
    }
    ctx.fetching(`apache-flink ${flink} from PyPI into a virtual environment of Python ${py.version} (~850 MB, pip cache reused)`);
    // built beside, then renamed: a test that finds the folder finds a complete environment
    const tmp = scratchDir(ctx.dir);
    const tmpPython = path.join(tmp, 'bin', 'python');
    try {
      try {
        await run(py.path, ['-m', 'venv', '--clear', tmp], { log: ctx.log, what: 'python -m venv' });
      } catch {
        await run(py.path, ['-m', 'venv', '--clear', '--without-pip', tmp], { log: ctx.log, what: 'python -m venv --without-pip' });
        const downloaded = await download(PIP_WHEEL.url, { sha256: PIP_WHEEL.sha256, log: ctx.log });
        // pip reads name and version from a wheel's file name, and the download cache prefixes it with the digest
        const wheel = path.join(tmp, path.basename(new URL(PIP_WHEEL.url).pathname));
        fs.copyFileSync(downloaded, wheel);
        await run(tmpPython, [path.join(wheel, 'pip'), 'install', '--no-index', wheel], { log: ctx.log, what: 'pip bootstrap' });
        fs.rmSync(wheel);
      }
      await run(tmpPython, ['-m', 'pip', 'install', '--disable-pip-version-check', `apache-flink==${flink}`], {
        env: ctx.envOf('java'),
        log: ctx.log,
        what: `pip install apache-flink==${flink}`,
      });
      relocateVenv(tmp, ctx.dir);
      publishDir(tmp, ctx.dir);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
    const r = flinkVenv.find(ctx);
    if (!r) throw new SetupError(`the virtual environment ${shown(ctx.dir)} does not import pyflink ${flink}`, ctx.log);
    return r;
  },
};

const flinkJars = {
  name: 'flink-jars',
  why: 'the Kafka connector jars the exported Flink job loads in the Flink-and-Kafka parity test',
  needs: ['java', 'maven'],
  tests: ['flink'],
  usedBy: [FLINK_TESTS],
  dir: path.join(REPO_ROOT, '.cache', 'flink-jars'),
  find(ctx) {
    const { connector, clients } = flinkPins();
    const jars = [`${connector.artifact}-${connector.version}.jar`, `${clients.artifact}-${clients.version}.jar`];
    if (!jars.every((j) => fs.existsSync(path.join(ctx.dir, j)))) return undefined;
    return {
      path: ctx.dir,
      version: connector.version,
      summary: `${connector.artifact} ${connector.version}, ${clients.artifact} ${clients.version} (${shown(ctx.dir)})`,
    };
  },
  async fetch(ctx) {
    const { connector } = flinkPins();
    const mvn = ctx.result('maven');
    ctx.fetching(`${connector.artifact} ${connector.version} and its dependencies from Maven Central with mvn ${mvn.version} (the pom.xml of an export)`);
    const tmp = scratchDir(ctx.dir);
    try {
      // the pom.xml an export writes, so the jars are exactly the ones its README tells users to fetch
      if (!fs.existsSync(path.join(REPO_ROOT, 'dist', 'cli.mjs'))) {
        await run(process.execPath, [path.join(REPO_ROOT, 'scripts', 'build-engine.mjs')], { log: ctx.log, what: 'build the engine' });
      }
      const exported = path.join(tmp, 'export');
      await run(
        process.execPath,
        [
          path.join(REPO_ROOT, 'bin', 'ts-engine.mjs'),
          'export',
          path.join(REPO_ROOT, 'samples', 'sensors', 'config-kafka.json'),
          exported,
          '--target',
          'flink',
          '--allow-lossy',
        ],
        { log: ctx.log, what: 'ts-engine export --target flink' },
      );
      const jars = path.join(tmp, 'jars');
      await run(mvn.path, ['-B', '-ntp', '-f', path.join(exported, 'pom.xml'), 'dependency:copy-dependencies', `-DoutputDirectory=${jars}`], {
        env: ctx.envOf('java', 'maven'),
        log: ctx.log,
        what: 'mvn dependency:copy-dependencies',
      });
      publishDir(jars, ctx.dir);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
    const r = flinkJars.find(ctx);
    if (!r) throw new SetupError(`mvn finished but ${shown(ctx.dir)} lacks the connector jars`, ctx.log);
    return r;
  },
};

/** In dependency order; `npm test` prepares them in this order, background ones first. */
export const STEPS = [java, maven, kafkaJars, go, rust, influxd27, influxd18, influxd1x, chromium, python, flinkVenv, flinkJars, cassandraJars];
