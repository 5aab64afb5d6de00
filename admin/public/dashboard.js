// SIRATU admin: draws the dashboard's charts (Chart.js, served from this site) from the numbers
// each canvas carries in data-chart; the table under each chart shows the same numbers as text.
'use strict';
(function () {
  if (typeof window.Chart !== 'function') return;
  var Chart = window.Chart;
  var phone = window.matchMedia('(max-width: 600px)').matches;
  var PALETTE = ['#0b6e4f', '#2f80c8', '#d98a00', '#8e5bc4', '#c2410c', '#5b6573'];
  // One colour per bar or slice, where the colour means something.
  var PER_POINT = {
    outcome: ['#157347', '#b42318', '#9aa4b1'],
    score: ['#b42318', '#dd6b20', '#d9a400', '#6aa84f', '#157347'],
  };
  var LINE = '#c2410c';

  Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif';
  Chart.defaults.font.size = phone ? 11 : 12;
  Chart.defaults.color = '#3d4652';

  function shorten(label, max) {
    return label.length > max ? label.slice(0, max - 1) + '…' : label;
  }

  function draw(canvas) {
    var spec;
    try {
      spec = JSON.parse(canvas.getAttribute('data-chart'));
    } catch (error) {
      return;
    }
    var perPoint = spec.palette ? PER_POINT[spec.palette] : null;
    // Long category names (entry titles) are cut to what a third of the chart's width holds; tooltips and the table have them whole.
    var labelChars = Math.max(12, Math.floor(canvas.parentNode.clientWidth / (phone ? 2.2 : 3) / 6.5));
    var labels = spec.labels;
    var datasets = spec.series.map(function (series, i) {
      var color = PALETTE[i % PALETTE.length];
      if (spec.type === 'line') {
        return { label: series.label, data: series.data, borderColor: LINE, backgroundColor: 'rgba(194, 65, 12, 0.12)', fill: true, cubicInterpolationMode: 'monotone', spanGaps: true, pointRadius: phone ? 2 : 3 };
      }
      return { label: series.label, data: series.data, backgroundColor: perPoint || color, borderWidth: 0, maxBarThickness: 36 };
    });
    var valueAxis = {
      beginAtZero: true,
      ticks: {
        precision: 0,
        callback: spec.percent ? function (value) { return value + '%'; } : undefined,
      },
      grid: { color: '#e6e9ee' },
    };
    if (spec.percent) valueAxis.suggestedMax = 20;
    var categoryAxis = {
      stacked: Boolean(spec.stacked),
      grid: { display: false },
      ticks: {
        autoSkip: !spec.horizontal,
        maxRotation: 0,
        callback: function (value) {
          var label = this.getLabelForValue(value);
          return spec.horizontal ? shorten(label, labelChars) : label;
        },
      },
    };
    valueAxis.stacked = Boolean(spec.stacked);
    var config = {
      type: spec.type,
      data: { labels: labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        indexAxis: spec.horizontal ? 'y' : 'x',
        plugins: {
          legend: { display: spec.series.length > 1 || spec.type === 'doughnut', position: 'bottom', labels: { boxWidth: 12, boxHeight: 12 } },
          tooltip: {
            callbacks: spec.percent ? { label: function (item) { return item.dataset.label + ': ' + String(item.raw).replace('.', ',') + '%'; } } : {},
          },
        },
      },
    };
    if (spec.type !== 'doughnut') {
      config.options.scales = spec.horizontal ? { x: valueAxis, y: categoryAxis } : { x: categoryAxis, y: valueAxis };
    } else {
      config.options.cutout = '55%';
    }
    // A bar per category: the chart grows with the number of bars, so none gets squeezed.
    if (spec.horizontal) canvas.parentNode.style.height = labels.length * (phone ? 26 : 30) + 70 + 'px';
    new Chart(canvas, config);
    canvas.setAttribute('data-drawn', '1');
  }

  Array.prototype.forEach.call(document.querySelectorAll('canvas[data-chart]'), draw);
})();
