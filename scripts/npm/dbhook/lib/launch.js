'use strict';
// The launcher behind the `dbhook` and `vercel-build` commands of the npm
// package: it finds the native binary in the platform package that npm
// installed (dbhook-<os>-<cpu>, an optional dependency) and runs it with the
// same arguments, standard streams and environment. The exit code and a
// terminating signal are passed back unchanged; SIGTERM, SIGINT and SIGHUP
// sent to the launcher reach the binary (and, through its exec, the build).
// No dependencies and no install script.

const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');

const VERSION = require('../package.json').version;
const PLATFORMS = {
  'linux-x64': 'dbhook-linux-x64',
  'linux-arm64': 'dbhook-linux-arm64',
};
// Exit code for "could not start dbhook", as for any configuration error.
const EXIT_SETUP = 2;

function fail(name, lines) {
  process.stderr.write(`${name}: error: ${lines[0]}\n`);
  for (const l of lines.slice(1)) process.stderr.write(`${name}: ${l}\n`);
  process.exit(EXIT_SETUP);
}

function isMusl() {
  try {
    const r = process.report.getReport();
    return !(r.header && r.header.glibcVersionRuntime);
  } catch (e) {
    return false;
  }
}

// Why npm left the platform package out, as far as the environment tells.
function whyMissing(pkg) {
  const omit = `${process.env.npm_config_omit || ''}`.split(/[\s,]+/);
  const reasons = [];
  if (omit.includes('optional') || process.env.npm_config_optional === 'false') {
    reasons.push('optional dependencies are omitted here (npm_config_omit=optional, ' +
      'from --omit=optional or --no-optional): npm then leaves out ' + pkg + '.');
  }
  if (process.env.NODE_ENV === 'production') {
    reasons.push('NODE_ENV=production: npm omits devDependencies; keep dbhook in ' +
      '"dependencies" so that it and ' + pkg + ' are installed in production builds.');
  }
  if (reasons.length === 0) {
    reasons.push('npm installs it with dbhook as an optional dependency; it is missing when ' +
      'optional dependencies were omitted, or when node_modules or the lockfile was ' +
      'made on another platform (for example on a Mac) and copied here.');
  }
  return reasons;
}

function findBinary(name) {
  const forced = process.env.DBHOOK_BINARY;
  if (forced) return forced;

  const key = `${process.platform}-${process.arch}`;
  const pkg = PLATFORMS[key];
  if (!pkg) {
    fail(name, [
      `dbhook ${VERSION} has no prebuilt binary for ${process.platform} ${process.arch}.`,
      `detail: Prebuilt binaries exist for ${Object.keys(PLATFORMS).join(', ')} (glibc 2.31 or newer).`,
      'hint: Build dbhook from source (see "Build from source" in its README) and set ' +
        'DBHOOK_BINARY to the path of the binary.',
    ]);
  }
  if (process.platform === 'linux' && isMusl()) {
    fail(name, [
      `dbhook ${VERSION} needs glibc; this system uses musl (Alpine?).`,
      'hint: Run the build on a glibc-based image (Debian, Ubuntu, Amazon Linux), or build ' +
        'dbhook from source there and set DBHOOK_BINARY.',
    ]);
  }
  let dir;
  try {
    dir = path.dirname(require.resolve(`${pkg}/package.json`));
  } catch (e) {
    fail(name, [
      `the package ${pkg}, which holds the dbhook binary for ${key}, is not installed.`,
      ...whyMissing(pkg).map((r) => `detail: ${r}`),
      `hint: Run: npm install dbhook@${VERSION} (without --omit=optional), or add the ` +
        `binary directly: npm install ${pkg}@${VERSION}`,
    ]);
  }
  const bin = path.join(dir, 'bin', 'dbhook');
  if (!fs.existsSync(bin)) {
    fail(name, [
      `${bin} is missing: the package ${pkg} is incomplete.`,
      `hint: Reinstall it: npm install ${pkg}@${VERSION}`,
    ]);
  }
  return bin;
}

function run(name) {
  const bin = findBinary(name);
  // vercel-build hands off to the build (often `npm run build`, itself a
  // tree of processes): it gets a process group of its own, so that a
  // signal reaches the whole build. `dbhook` stays in ours: it may prompt
  // on the terminal, which a background group cannot.
  const group = name === 'vercel-build';
  // argv0 tells the binary which program to be.
  const child = spawn(bin, process.argv.slice(2), { stdio: 'inherit', argv0: name, detached: group });
  const send = (sig) => {
    try {
      if (group) process.kill(-child.pid, sig);
      else child.kill(sig);
    } catch (e) {
      // already gone
    }
  };
  const forward = {};
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
    forward[sig] = () => send(sig);
    process.on(sig, forward[sig]);
  }
  // npm runs a script through `sh -c`, and that shell dies of a SIGTERM
  // without passing it on: when our parent goes away, pass it on ourselves.
  const parent = process.ppid;
  const watch = setInterval(() => {
    if (process.ppid !== parent) {
      clearInterval(watch);
      send('SIGTERM');
    }
  }, 200);
  watch.unref();
  child.on('error', (err) => {
    fail(name, [
      `cannot run ${bin}: ${err.code || err.message}.`,
      err.code === 'EACCES'
        ? `hint: Make it executable (chmod 755 "${bin}") or reinstall dbhook.`
        : 'hint: Reinstall dbhook; the binary may be for another platform.',
    ]);
  });
  child.on('exit', (code, signal) => {
    if (signal) {
      // Die of the same signal, so our parent sees what the binary saw.
      for (const sig of Object.keys(forward)) process.removeListener(sig, forward[sig]);
      process.kill(process.pid, signal);
      setTimeout(() => process.exit(128 + (require('os').constants.signals[signal] || 0)), 1000);
      return;
    }
    process.exit(code === null ? 1 : code);
  });
}

module.exports = run;
