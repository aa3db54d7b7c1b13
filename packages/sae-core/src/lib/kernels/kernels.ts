/**
 * The SIMD kernels of kernels.wat, instantiated once per arena, with the float buffers they
 * work on allocated inside the module's memory. A buffer is a `Float32Array` view plus its byte
 * offset (`ptr`), which is what the kernels take. All buffers are allocated before use: growing
 * the memory later would detach the views already handed out, so `alloc` refuses after `seal`.
 */
import { SaeError } from '../errors';
import { KERNELS_WASM_BASE64 } from './kernels-wasm';

interface KernelExports {
  memory: WebAssembly.Memory;
  axpy(dst: number, src: number, alpha: number, n: number): void;
  dot(a: number, b: number, n: number): number;
  adam(p: number, g: number, m: number, v: number, n: number, stepSize: number, b1: number, b2: number, eps: number, bc2Sqrt: number): void;
  zero(dst: number, n: number): void;
}

let compiled: WebAssembly.Module | undefined;
const kernelModule = (): WebAssembly.Module => (compiled ??= new WebAssembly.Module(Buffer.from(KERNELS_WASM_BASE64, 'base64')));

/** A float buffer in kernel memory. */
export interface KBuf {
  /** Byte offset, as the kernels take it. */
  ptr: number;
  /** Length in floats. */
  length: number;
  /** The floats (valid once the arena is sealed). */
  f: Float32Array;
}

const PAGE = 65536;
const MAX_BYTES = 4 * 1024 ** 3 - PAGE;

export class KernelArena {
  readonly k: KernelExports;
  private top = 16; // byte 0..15 unused, so a zero ptr never names a buffer
  private readonly pending: KBuf[] = [];
  private sealed = false;

  constructor() {
    this.k = new WebAssembly.Instance(kernelModule(), {}).exports as unknown as KernelExports;
  }

  /** Reserves `length` floats (16-byte aligned); the view is filled in by `seal`. */
  alloc(length: number): KBuf {
    if (this.sealed) throw new SaeError('BAD_ARGUMENT', 'kernel arena: alloc after seal would detach the views already handed out');
    const buf: KBuf = { ptr: this.top, length, f: new Float32Array(0) };
    this.top += Math.ceil((length * 4) / 16) * 16;
    if (this.top > MAX_BYTES) throw new SaeError('BAD_ARGUMENT', `kernel arena: ${(this.top / 2 ** 30).toFixed(2)} GiB exceeds wasm32's 4 GiB; use fewer latents or a smaller batch`);
    this.pending.push(buf);
    return buf;
  }

  /** Grows the memory to hold every buffer, zeroed, and makes the views. */
  seal(): void {
    const have = this.k.memory.buffer.byteLength;
    if (this.top > have) this.k.memory.grow(Math.ceil((this.top - have) / PAGE));
    for (const b of this.pending) b.f = new Float32Array(this.k.memory.buffer, b.ptr, b.length);
    this.sealed = true;
  }

  /** `dst[dOff…+n] += alpha · src[sOff…+n]` (offsets in floats). */
  axpy(dst: KBuf, dOff: number, src: KBuf, sOff: number, alpha: number, n: number): void {
    this.k.axpy(dst.ptr + 4 * dOff, src.ptr + 4 * sOff, alpha, n);
  }

  /** `Σ a[aOff…+n] · b[bOff…+n]`. */
  dot(a: KBuf, aOff: number, b: KBuf, bOff: number, n: number): number {
    return this.k.dot(a.ptr + 4 * aOff, b.ptr + 4 * bOff, n);
  }

  zero(buf: KBuf): void {
    this.k.zero(buf.ptr, buf.length);
  }
}
