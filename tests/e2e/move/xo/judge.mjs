// SPDX-License-Identifier: MIT
// Xen Orchestra's own code (installed by xolib.py into $XO_MODULES) reading
// and writing the files hvkit's tests hand it.  One verb per use:
//   vhd-read VHD RAW        vhd-lib's Vhd reads VHD block for block and as a
//                           content stream; both must equal RAW
//   vhd-fixed VHD RAW       vhd-lib's footer struct and checksum on a fixed VHD
//   vhd-write SEED VHD RAW  vhd-lib writes a dynamic VHD of seeded data; RAW
//                           gets the same bytes
//   xva-write SPEC.json XVA @xen-orchestra/xva writes an XVA (ova.xml + disks)
//   ova-parse OVA           xo-vmdk-to-vhd's parseOVAFile (XO's OVA import)
//                           reads the descriptor: name, vCPUs, memory,
//                           networks, disks (not yet run here: see 0920)
// Prints one JSON line; exits 1 with the reason on a disagreement.
import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { pathToFileURL } from 'node:url'

const modules = process.env.XO_MODULES
const require = createRequire(path.join(modules, 'noop.js'))

function fail(msg) {
  process.stderr.write(`judge: ${msg}\n`)
  process.exit(1)
}

// A @xen-orchestra/fs-like handler over node's fs, as vhd-lib 0.7 wants.
const handler = {
  async openFile(p) {
    return fs.promises.open(p, 'r')
  },
  async closeFile(fh) {
    await fh.close()
  },
  async read(fh, buffer, position) {
    const own = typeof fh === 'string' ? await fs.promises.open(fh, 'r') : fh
    try {
      let done = 0
      while (done < buffer.length) {
        const { bytesRead } = await own.read(buffer, done, buffer.length - done, position + done)
        if (bytesRead === 0) break
        done += bytesRead
      }
      return { bytesRead: done, buffer }
    } finally {
      if (own !== fh) await own.close()
    }
  },
  async getSize(fh) {
    return typeof fh === 'string' ? (await fs.promises.stat(fh)).size : (await fh.stat()).size
  },
}

function readAt(fd, off, len) {
  const b = Buffer.alloc(len)
  let done = 0
  while (done < len) {
    const n = fs.readSync(fd, b, done, len - done, off + done)
    if (n === 0) break
    done += n
  }
  return b
}

// mulberry32: a small seeded generator, so a seed names a case.
function rng(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

async function vhdRead(vhdPath, rawPath) {
  const { default: Vhd, createContentStream } = require('vhd-lib')
  const fh = await handler.openFile(vhdPath)
  const vhd = new Vhd(handler, fh)
  await vhd.readHeaderAndFooter(true)
  await vhd.readBlockAllocationTable()
  const size = vhd.footer.currentSize
  const raw = fs.openSync(rawPath, 'r')
  const rawSize = fs.fstatSync(raw).size
  if (size !== rawSize) fail(`footer currentSize ${size}, the raw disk has ${rawSize} bytes`)
  const bs = vhd.header.blockSize
  let allocated = 0
  const nblocks = Math.ceil(size / bs)
  if (vhd.header.maxTableEntries < nblocks) fail(`maxTableEntries ${vhd.header.maxTableEntries} < ${nblocks} blocks`)
  for (let i = 0; i < nblocks; i++) {
    const len = Math.min(bs, size - i * bs)
    const want = readAt(raw, i * bs, len)
    if (!vhd.containsBlock(i)) {
      if (!want.equals(Buffer.alloc(len))) fail(`block ${i}: not allocated, but the raw disk has data there`)
      continue
    }
    allocated++
    const { bitmap, data } = await vhd._readBlock(i)
    // A sector whose bitmap bit is clear reads as zeros.
    for (let s = 0; s < len / 512; s++) {
      const set = (bitmap[s >> 3] >> (7 - (s & 7))) & 1
      const got = set ? data.subarray(s * 512, s * 512 + 512) : Buffer.alloc(512)
      if (!got.equals(want.subarray(s * 512, s * 512 + 512)))
        fail(`block ${i} sector ${s}: differs from the raw disk (bitmap bit ${set})`)
    }
  }
  await handler.closeFile(fh)
  // The content stream XO's exports use, compared end to end.
  const stream = createContentStream(handler, vhdPath)
  let off = 0
  for await (const chunk of stream) {
    const want = readAt(raw, off, chunk.length)
    if (!want.equals(chunk)) fail(`content stream differs from the raw disk near offset ${off}`)
    off += chunk.length
  }
  if (off !== size) fail(`content stream gave ${off} bytes, not ${size}`)
  console.log(JSON.stringify({ size, blockSize: bs, blocks: nblocks, allocated, diskType: vhd.footer.diskType }))
}

async function vhdFixed(vhdPath, rawPath) {
  const { default: Vhd } = require('vhd-lib')
  const { fuFooter, checksumStruct, unpackField } = require('vhd-lib/dist/_structs')
  const { DISK_TYPE_FIXED, FOOTER_COOKIE } = require('vhd-lib/dist/_constants')
  const st = fs.statSync(vhdPath)
  const fd = fs.openSync(vhdPath, 'r')
  const buf = readAt(fd, st.size - 512, 512)
  const sum = unpackField(fuFooter.fields.checksum, buf)
  if (sum !== checksumStruct(buf, fuFooter)) fail(`footer checksum ${sum}, vhd-lib computes ${checksumStruct(buf, fuFooter)}`)
  const footer = fuFooter.unpack(buf)
  if (footer.cookie !== FOOTER_COOKIE) fail(`footer cookie '${footer.cookie}'`)
  if (footer.diskType !== DISK_TYPE_FIXED) fail(`disk type ${footer.diskType}, not fixed`)
  const rawSize = fs.statSync(rawPath).size
  if (footer.currentSize !== rawSize || st.size !== rawSize + 512)
    fail(`currentSize ${footer.currentSize}, file ${st.size} bytes, raw ${rawSize}`)
  const raw = fs.openSync(rawPath, 'r')
  for (let off = 0; off < rawSize; off += 1 << 20) {
    const n = Math.min(1 << 20, rawSize - off)
    if (!readAt(fd, off, n).equals(readAt(raw, off, n))) fail(`data differs near offset ${off}`)
  }
  // vhd-lib 0.7's Vhd class reads dynamic and differencing VHDs only.
  let readsFixed = true
  try {
    const v = new Vhd(handler, vhdPath)
    await v.readHeaderAndFooter(false)
  } catch (e) {
    readsFixed = false
  }
  console.log(JSON.stringify({ size: footer.currentSize, diskType: footer.diskType, vhdClassReadsFixed: readsFixed }))
}

async function vhdWrite(seed, vhdPath, rawPath) {
  const { createReadableSparseStream } = require('vhd-lib')
  const geometry = require('vhd-lib/dist/_computeGeometryForSize').default
  const r = rng(seed)
  const grain = 64 * 1024
  const want = (1 + Math.floor(r() * 40)) * 1024 * 1024 + Math.floor(r() * 64) * 512
  const size = geometry(want).actualSize
  const ngrains = Math.floor(size / grain)
  const picked = new Set()
  const n = Math.floor(r() * Math.min(60, ngrains))
  for (let i = 0; i < n; i++) picked.add(Math.floor(r() * ngrains))
  const addrs = [...picked].sort((a, b) => a - b).map(g => g * grain)
  const frags = addrs.map(a => {
    const data = Buffer.alloc(grain)
    for (let j = 0; j < grain; j += 4) data.writeUInt32LE(Math.floor(r() * 4294967296), j)
    return { logicalAddressBytes: a, data }
  })
  const raw = fs.openSync(rawPath, 'w')
  fs.ftruncateSync(raw, size)
  for (const f of frags) fs.writeSync(raw, f.data, 0, f.data.length, f.logicalAddressBytes)
  fs.closeSync(raw)
  async function* it() {
    yield* frags
  }
  const stream = await createReadableSparseStream(size, grain, addrs, it())
  const out = fs.createWriteStream(vhdPath)
  await new Promise((resolve, reject) => {
    stream.on('error', reject)
    out.on('error', reject)
    out.on('finish', resolve)
    stream.pipe(out)
  })
  console.log(JSON.stringify({ seed, size, fragments: frags.length, file: fs.statSync(vhdPath).size }))
}

async function xvaWrite(specPath, xvaPath) {
  const spec = JSON.parse(fs.readFileSync(specPath, 'utf8'))
  const xva = path.join(modules, '@xen-orchestra', 'xva')
  const { default: writeOvaXml } = await import(pathToFileURL(path.join(xva, '_writeOvaXml.mjs')))
  const { default: writeDisk } = await import(pathToFileURL(path.join(xva, '_writeDisk.mjs')))
  const tar = require('tar-stream')
  const pack = tar.pack()
  const out = fs.createWriteStream(xvaPath)
  const finished = new Promise((resolve, reject) => {
    out.on('finish', resolve)
    out.on('error', reject)
    pack.on('error', reject)
  })
  pack.pipe(out)
  const vhds = spec.disks.map(d => ({
    footer: { currentSize: fs.statSync(d.raw).size },
    rawContent: async () => fs.createReadStream(d.raw),
  }))
  const vm = {
    name_label: spec.name,
    name_description: 'written by @xen-orchestra/xva for hvkit',
    memory: spec.memory,
    nCpus: spec.vcpus,
    firmware: spec.firmware,
    networks: spec.macs.map(m => ({ macAddress: m, isGenerated: false })),
    vdis: spec.disks.map((d, i) => ({ name_label: `disk${i}`, virtual_size: fs.statSync(d.raw).size })),
    vhds,
  }
  const sr = { uuid: '3c2d8b52-3b0b-4d7b-9bde-2d3c1f0e8a11', name_label: 'SR' }
  const network = { uuid: '8b7c1a0e-5f1c-4c58-9d0a-5e4f3b2a1c00', name_label: spec.network, bridge: spec.network }
  await writeOvaXml(pack, vm, { sr, network })
  for (const vhd of vhds) await writeDisk(pack, vhd, vhd.ref)
  pack.finalize()
  await finished
  console.log(JSON.stringify({ file: fs.statSync(xvaPath).size, refs: vhds.map(v => v.ref) }))
}

// A ParsableFile (xo-vmdk-to-vhd's interface: slice(), read() to an
// ArrayBuffer) over a file.
class FileSlice {
  constructor(fd, start, end) {
    Object.assign(this, { fd, start, end })
  }
  slice(start, end) {
    const e = end === undefined ? this.end : Math.min(this.end, this.start + end)
    return new FileSlice(this.fd, this.start + start, e)
  }
  async read() {
    const len = Math.max(0, this.end - this.start)
    const b = Buffer.alloc(len)
    fs.readSync(this.fd, b, 0, len, this.start)
    return b.buffer.slice(b.byteOffset, b.byteOffset + len)
  }
}

async function ovaParse(ovaPath) {
  const { parseOVAFile } = require('xo-vmdk-to-vhd')
  const fd = fs.openSync(ovaPath, 'r')
  // gzipCheck: no member is gzipped; skipVmdk: the descriptor only.
  const data = await parseOVAFile(new FileSlice(fd, 0, fs.fstatSync(fd).size), () => false, true)
  console.log(JSON.stringify({
    nameLabel: data.nameLabel,
    nCpus: data.nCpus,
    memory: data.memory,
    networks: data.networks,
    disks: Object.values(data.disks).map(d => ({ capacity: d.capacity, fileName: d.fileName })),
  }))
}

const [verb, ...args] = process.argv.slice(2)
const verbs = {
  'vhd-read': () => vhdRead(args[0], args[1]),
  'vhd-fixed': () => vhdFixed(args[0], args[1]),
  'vhd-write': () => vhdWrite(Number(args[0]), args[1], args[2]),
  'xva-write': () => xvaWrite(args[0], args[1]),
  'ova-parse': () => ovaParse(args[0]),
}
if (!verbs[verb]) fail(`unknown verb '${verb}'`)
verbs[verb]().catch(e => fail(`${verb}: ${e && e.stack ? e.stack : e}`))
