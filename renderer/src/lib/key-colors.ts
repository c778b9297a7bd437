/**
 * The colour of the n-th key drawn (its place among the shown keys, the same on every chart, in
 * the legend and in the tooltip): a categorical palette whose ten colours stay apart in both
 * themes, then golden-angle hues for more.
 */
const LIGHT = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f'];
const DARK = ['#5aa9e6', '#ff6b6b', '#6bd66b', '#ffa94d', '#b197fc', '#c9a27e', '#f783ac', '#3bc9db', '#d8d84a', '#adb5bd'];

export function keyColor(position: number, dark: boolean): string {
  const palette = dark ? DARK : LIGHT;
  if (position < palette.length) return palette[position]!;
  return `hsl(${(position * 137.508) % 360} ${dark ? '70%' : '65%'} ${dark ? '62%' : '42%'})`;
}
