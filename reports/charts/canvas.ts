import { createRequire } from 'node:module';
import { createCanvas, GlobalFonts, type SKRSContext2D } from '@napi-rs/canvas';

/**
 * Drawing set-up shared by every chart: a bundled font (DejaVu Sans from the `dejavu-fonts-ttf`
 * package, registered under a private name so output never depends on the machine's fonts), the
 * palette, and PNG encoding. Same input, same drawing calls, same font: byte-identical PNGs.
 */
const require = createRequire(import.meta.url);
export const FONT = 'SluiceSans';
let registered = false;

function ensureFont(): void {
  if (registered) return;
  GlobalFonts.registerFromPath(require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf'), FONT);
  GlobalFonts.registerFromPath(require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf'), FONT);
  registered = true;
}

/** Okabe–Ito: distinguishable with the common forms of colour blindness. */
export const PALETTE = {
  materialized: '#D55E00',
  streaming: '#0072B2',
  limitLoop: '#000000',
  alt1: '#009E73',
  alt2: '#CC79A7',
  alt3: '#E69F00',
  alt4: '#56B4E9',
  grid: '#E3E3E3',
  axis: '#444444',
  text: '#1A1A1A',
  muted: '#666666',
} as const;

/** Default chart size, in pixels; text is 13–17 px, legible at 100%. */
export const WIDTH = 960;
export const HEIGHT = 560;

export interface Surface {
  g: SKRSContext2D;
  width: number;
  height: number;
  png(): Buffer;
}

/** A white canvas with the chart font ready. */
export function surface(width = WIDTH, height = HEIGHT): Surface {
  ensureFont();
  const canvas = createCanvas(width, height);
  const g = canvas.getContext('2d');
  g.fillStyle = '#FFFFFF';
  g.fillRect(0, 0, width, height);
  g.textBaseline = 'alphabetic';
  return { g, width, height, png: () => canvas.toBuffer('image/png') };
}

/** Set the font: `size` px, optionally bold. */
export function font(g: SKRSContext2D, size: number, bold = false): void {
  g.font = `${bold ? 'bold ' : ''}${size}px ${FONT}`;
}

/** Title and subtitle at the top left. */
export function drawTitle(s: Surface, title: string, subtitle?: string): void {
  const { g } = s;
  g.fillStyle = PALETTE.text;
  font(g, 17, true);
  g.textAlign = 'left';
  g.fillText(title, 20, 28);
  if (subtitle) {
    font(g, 13);
    g.fillStyle = PALETTE.muted;
    g.fillText(subtitle, 20, 48);
  }
}
