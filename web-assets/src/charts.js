// Draws the report charts of a dashboard or report page with ECharts, over the server-drawn
// bars that stay in the page as the fallback without JavaScript (and the data table beside
// them). Each chart comes from a typed spec the server computed from the report definition
// (`<figure data-chart><script type="application/json">`): kind, categories, series with
// their number format, and each category's click-through link. Nothing here takes options
// or markup from a package.
//
// Only the chart types and components used are imported (modular ECharts, SVG renderer), and
// pages without a chart never load this file.

import * as echarts from 'echarts/core';
import { BarChart, LineChart, PieChart } from 'echarts/charts';
import { GridComponent, TooltipComponent, LegendComponent } from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';

echarts.use([BarChart, LineChart, PieChart, GridComponent, TooltipComponent, LegendComponent, SVGRenderer]);

const COLORS = ['#3b82f6', '#10b981', '#f59e0b', '#ef4444', '#8b5cf6', '#06b6d4', '#84cc16', '#ec4899', '#64748b'];

const UNITS = {
  'zh-CN': { h: ' 小时', min: ' 分钟', s: ' 秒' },
  en: { h: ' h', min: ' min', s: ' s' },
};

/** The unit durations (seconds) read best in, by the largest one drawn. */
function durationUnit(spec) {
  const max = Math.max(0, ...spec.series.flatMap((s) => s.values.filter((v) => v != null)));
  if (max >= 2 * 3600) return ['h', 3600];
  if (max >= 120) return ['min', 60];
  return ['s', 1];
}

/** Number formatting per series format, in the page's language. */
function formatter(spec, format, axis) {
  const lang = spec.lang;
  const grouped = new Intl.NumberFormat(lang, { maximumFractionDigits: 2 });
  const whole = new Intl.NumberFormat(lang, { maximumFractionDigits: 0 });
  if (format === 'money') {
    // ¥ with thousands separators in both languages (`CN¥` is what Intl writes in English).
    return (v) => (v == null ? '—' : `${v < 0 ? '-' : ''}¥${(axis ? whole : moneyFormat(lang)).format(Math.abs(v))}`);
  }
  if (format === 'duration') {
    const [unit, size] = durationUnit(spec);
    const word = (UNITS[lang] ?? UNITS['zh-CN'])[unit];
    return (v) => (v == null ? '—' : `${grouped.format(v / size)}${word}`);
  }
  if (format === 'percent') {
    // A share, rate or percent difference: the number is already in percent.
    return (v) => (v == null ? '—' : `${grouped.format(v)}%`);
  }
  return (v) => (v == null ? '—' : grouped.format(v));
}

function moneyFormat(lang) {
  return new Intl.NumberFormat(lang, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

function option(spec, narrow, font) {
  const format = spec.series[0]?.format ?? 'number';
  const tip = formatter(spec, format, false);
  const axis = formatter(spec, format, true);
  const base = {
    color: COLORS,
    animation: false,
    // The page's own font, named: ECharts measures labels with it (legend spacing, label
    // room), and 'inherit' would measure with another font than the one drawn.
    textStyle: { fontFamily: font },
    tooltip: { trigger: spec.kind === 'pie' ? 'item' : 'axis', valueFormatter: tip, confine: true },
  };
  if (spec.kind === 'pie') {
    const s = spec.series[0];
    return {
      ...base,
      legend: { type: 'scroll', bottom: 0 },
      series: [{
        type: 'pie',
        name: s.name,
        radius: narrow ? ['30%', '58%'] : ['35%', '65%'],
        center: ['50%', '44%'],
        label: { formatter: '{b}\n{d}%' },
        data: spec.categories.map((name, i) => ({
          name,
          value: s.values[i],
          cursor: spec.links[i] ? 'pointer' : 'default',
        })),
      }],
    };
  }
  const long = spec.categories.some((c) => c.length > 6) || spec.categories.length > (narrow ? 4 : 8);
  return {
    ...base,
    legend: spec.series.length > 1 ? { top: 0 } : undefined,
    grid: { left: long ? 24 : 8, right: 16, top: spec.series.length > 1 ? 32 : 16, bottom: 8, containLabel: true },
    xAxis: {
      type: 'category',
      data: spec.categories,
      axisLabel: { interval: 0, rotate: long ? 30 : 0, width: 96, overflow: 'truncate' },
    },
    yAxis: { type: 'value', axisLabel: { formatter: axis } },
    series: spec.series.map((s) => ({
      type: spec.kind,
      name: s.name,
      data: s.values,
      barMaxWidth: 48,
      connectNulls: false,
      symbolSize: 8,
      cursor: 'pointer',
      // Values on the bars and points while they fit: read without hovering (phones).
      label: {
        show: spec.series.length === 1 && spec.categories.length <= (narrow ? 6 : 12),
        position: 'top',
        formatter: (p) => tip(p.value),
        fontSize: 11,
      },
    })),
  };
}

function draw(figure) {
  let spec;
  try {
    spec = JSON.parse(figure.querySelector('script[type="application/json"]').textContent);
  } catch {
    return; // the fallback stays
  }
  if (!spec.series?.length || !spec.categories?.length) return;
  const box = document.createElement('div');
  box.className = 'chart-canvas';
  // The chart repeats what the list and the table say: screen readers read those.
  box.setAttribute('aria-hidden', 'true');
  figure.prepend(box);
  const chart = echarts.init(box, null, { renderer: 'svg', locale: spec.lang === 'en' ? 'EN' : 'ZH' });
  const font = getComputedStyle(figure).fontFamily || 'sans-serif';
  const render = () => chart.setOption(option(spec, box.clientWidth < 420, font), true);
  render();
  figure.classList.add('chart-on');
  chart.on('click', (e) => {
    const href = spec.links[e.dataIndex];
    if (href) window.location.assign(href);
  });
  new ResizeObserver(() => {
    chart.resize();
    render();
  }).observe(box);
}

for (const figure of document.querySelectorAll('figure[data-chart]')) draw(figure);
