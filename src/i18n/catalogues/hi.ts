import { en } from './en.js'; export const hi = en;
