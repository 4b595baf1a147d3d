import sharp from 'sharp';
import { RGB_CHANNELS, type RgbImage } from './image';

export const THUMBNAIL_JPEG_QUALITY = 90;

export async function encodeJpeg(image: RgbImage, quality: number = THUMBNAIL_JPEG_QUALITY): Promise<Buffer> {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: RGB_CHANNELS } })
    .jpeg({ quality })
    .toBuffer();
}
