'use strict';
// npm-registry.js - a tiny npm registry on loopback for the tests: serves
// the package documents and tarballs of every *.tgz in a folder, so that
// `npm install dbhook` itself runs offline, exactly as a user types it.
//
//   node tests/npm-registry.js DIR PORTFILE
//
// Listens on 127.0.0.1 on a free port, writes the port to PORTFILE, and
// answers GET /<name> (the package document) and GET /<name>/-/<file>.tgz;
// anything else is 404 (npm then treats an optional package as missing).
// Every request is logged to stdout as "METHOD PATH STATUS".

const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const path = require('path');
const { execFileSync } = require('child_process');

const [dir, portFile] = process.argv.slice(2);
const packages = {}; // name -> { versions: { v: manifest }, latest }
const files = {}; // "name/-/file.tgz" -> absolute path

for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.tgz'))) {
  const file = path.join(dir, f);
  const data = fs.readFileSync(file);
  const manifest = JSON.parse(execFileSync('tar', ['-xzOf', file, 'package/package.json']));
  const key = `${manifest.name}/-/${f}`;
  files[key] = file;
  manifest.dist = {
    shasum: crypto.createHash('sha1').update(data).digest('hex'),
    integrity: 'sha512-' + crypto.createHash('sha512').update(data).digest('base64'),
    tarball: null, // filled per request with the Host the client used
  };
  const p = (packages[manifest.name] = packages[manifest.name] || { versions: {} });
  p.versions[manifest.version] = manifest;
  p.latest = manifest.version;
}

const server = http.createServer((req, res) => {
  const url = decodeURIComponent(req.url.split('?')[0]).replace(/^\/+/, '');
  let status = 404;
  if (req.method === 'GET' && files[url]) {
    status = 200;
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    res.end(fs.readFileSync(files[url]));
  } else if (req.method === 'GET' && packages[url]) {
    status = 200;
    const p = packages[url];
    const base = `http://${req.headers.host}`;
    const versions = {};
    for (const [v, m] of Object.entries(p.versions)) {
      const file = Object.keys(files).find((k) => k.startsWith(`${url}/-/`) && k.endsWith(`-${v}.tgz`));
      versions[v] = { ...m, dist: { ...m.dist, tarball: `${base}/${file}` } };
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ name: url, 'dist-tags': { latest: p.latest }, versions }));
  } else {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"error":"not found"}');
  }
  process.stdout.write(`${req.method} /${url} ${status}\n`);
});
server.listen(0, '127.0.0.1', () => {
  fs.writeFileSync(portFile, String(server.address().port));
});
