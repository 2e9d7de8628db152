/* supportops ops report: draws each chart from the JSON block with the inlined chart library.
   Every figure is formatted on the server and every chart has a data table, so a chart that cannot
   be drawn leaves its table open and the others still draw. */
(function () {
  "use strict";
  var source = document.getElementById("report-data");
  if (!source || typeof Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
  Chart.defaults.color = "#4f5b6b";

  function format(unit, value) {
    if (value === null || value === undefined) {
      return "\u2014";
    }
    if (Array.isArray(value)) {
      return format(unit, value[0]) + "\u2013" + format(unit, value[1]);
    }
    if (unit === "percent") {
      return Math.round(value * 10) / 10 + "%";
    }
    return Number(value).toLocaleString("en");
  }

  function config(spec) {
    var valueAxis = {
      beginAtZero: true,
      grid: { color: "#e3e7ed" },
      ticks: {
        precision: spec.unit === "count" ? 0 : undefined,
        callback: function (value) {
          return format(spec.unit, value);
        },
      },
    };
    if (spec.max !== undefined && spec.max !== null) {
      valueAxis.max = spec.max;
    }
    var labelAxis = { grid: { display: false }, ticks: { autoSkip: true, maxRotation: 0 } };
    var dense = spec.labels.length > 45;
    return {
      type: spec.type,
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map(function (ds) {
          var line = (ds.type || spec.type) === "line";
          return {
            type: ds.type || spec.type,
            label: ds.label,
            data: ds.data,
            borderColor: ds.colors || ds.color,
            backgroundColor: ds.colors || ds.color,
            borderWidth: line ? 2 : 0,
            pointRadius: line && !dense ? 3 : 0,
            pointHitRadius: 6,
            spanGaps: false,
          };
        }),
      },
      options: {
        indexAxis: spec.horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: spec.horizontal ? { x: valueAxis, y: labelAxis } : { x: labelAxis, y: valueAxis },
        plugins: {
          legend: { display: spec.datasets.length > 1 },
          tooltip: {
            callbacks: {
              label: function (context) {
                return context.dataset.label + ": " + format(spec.unit, context.raw);
              },
            },
          },
        },
      },
    };
  }

  var drawn = [];
  data.charts.forEach(function (spec) {
    var canvas = document.getElementById("chart-" + spec.id);
    if (!canvas) {
      return;
    }
    try {
      drawn.push(new Chart(canvas, config(spec)));
      var figure = canvas.closest("figure");
      figure.classList.add("drawn");
      var table = figure.querySelector("details.chart-data");
      if (table) {
        table.open = false;
      }
    } catch (error) {
      console.error("The chart " + spec.id + " could not be drawn; its data table stays open.", error);
    }
  });

  /* A printed report shows every breakdown table; the charts are redrawn to the paper's width. */
  var opened = [];
  window.addEventListener("beforeprint", function () {
    opened = Array.prototype.filter.call(document.querySelectorAll("details.breakdown"), function (d) {
      return !d.open;
    });
    opened.forEach(function (d) {
      d.open = true;
    });
    drawn.forEach(function (chart) {
      chart.resize();
    });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (d) {
      d.open = false;
    });
    drawn.forEach(function (chart) {
      chart.resize();
    });
  });
})();
