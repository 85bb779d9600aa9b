#!/usr/bin/env bash
# Differential scenario for Node.js's fs module (libuv): sync and promise
# calls, streams, directory handles. libuv makes some calls (statx) through
# syscall(2) rather than their libc wrappers, which the library routes too.
set -eu
root=$1
mkdir -p "$root"
cd "$root"
node - "$root" <<'JS'
const fs = require('fs'), path = require('path');
const root = process.argv[2];
const show = (label, v) => console.log(label, JSON.stringify(v));
const err = (label, f) => { try { f(); console.log(label, 'ok'); } catch (e) { console.log(label, e.code); } };
fs.mkdirSync('d/e/f', { recursive: true });
fs.writeFileSync('d/a.txt', 'alpha\n');
fs.appendFileSync('d/a.txt', 'beta\n');
show('read', fs.readFileSync('d/a.txt', 'utf8'));
const st = fs.statSync('d/a.txt');
show('stat', [st.size, st.isFile(), st.isDirectory(), (st.mode & 0o777).toString(8), st.nlink]);
show('lstat dir', fs.lstatSync('d').isDirectory());
fs.symlinkSync('a.txt', 'd/link');
show('readlink', fs.readlinkSync('d/link'));
show('lstat link', fs.lstatSync('d/link').isSymbolicLink());
show('stat via link', fs.statSync('d/link').size);
show('realpath', path.relative(root, fs.realpathSync('d/link')));
fs.renameSync('d/a.txt', 'd/b.txt');
show('exists', [fs.existsSync('d/a.txt'), fs.existsSync('d/b.txt'), fs.existsSync('d/link')]);
fs.copyFileSync('d/b.txt', 'd/c.txt');
show('copy', fs.readFileSync('d/c.txt', 'utf8'));
fs.linkSync('d/c.txt', 'd/hard');
show('nlink', fs.statSync('d/c.txt').nlink);
fs.chmodSync('d/c.txt', 0o600);
show('chmod', (fs.statSync('d/c.txt').mode & 0o777).toString(8));
fs.utimesSync('d/c.txt', 1000000, 2000000);
show('utimes', [fs.statSync('d/c.txt').atimeMs, fs.statSync('d/c.txt').mtimeMs]);
fs.truncateSync('d/c.txt', 2);
show('truncate', fs.readFileSync('d/c.txt', 'utf8'));
show('readdir', fs.readdirSync('d').sort());
show('withFileTypes', fs.readdirSync('d', { withFileTypes: true }).map(e => [e.name, e.isDirectory(), e.isSymbolicLink()]).sort());
const dir = fs.opendirSync('d/e'); const names = []; let ent; while ((ent = dir.readSync())) names.push(ent.name); dir.closeSync();
show('opendir', names);
const tmp = fs.mkdtempSync('t-'); show('mkdtemp', fs.statSync(tmp).isDirectory());
const fd = fs.openSync('d/fd.bin', 'w+');
fs.writeSync(fd, Buffer.from('0123456789'));
const buf = Buffer.alloc(4); fs.readSync(fd, buf, 0, 4, 3);
show('pread', buf.toString());
fs.ftruncateSync(fd, 5); show('fstat', fs.fstatSync(fd).size); fs.fsyncSync(fd); fs.closeSync(fd);
err('stat missing', () => fs.statSync('d/missing'));
err('mkdir existing', () => fs.mkdirSync('d'));
err('rmdir non-empty', () => fs.rmdirSync('d'));
err('read dir', () => fs.readFileSync('d'));
err('open excl', () => fs.openSync('d/b.txt', 'wx'));
(async () => {
  const p = fs.promises;
  await p.writeFile('d/p.txt', 'promise');
  show('promise read', await p.readFile('d/p.txt', 'utf8'));
  show('promise stat', (await p.stat('d/p.txt')).size);
  show('promise readdir', (await p.readdir('d/e')));
  await new Promise((res, rej) => fs.createReadStream('d/b.txt').pipe(fs.createWriteStream('d/s.txt')).on('finish', res).on('error', rej));
  show('stream', fs.readFileSync('d/s.txt', 'utf8'));
  await p.rm('d', { recursive: true });
  show('rm -r', fs.existsSync('d'));
  fs.rmSync(tmp, { recursive: true });
  show('left', fs.readdirSync('.').sort());
})();
JS
