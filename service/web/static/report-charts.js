// Draws the charts of a page from its JSON data block (<script type="application/json" id="chart-data">), with the
// vendored Chart.js. Each chart's numbers are also in the table under it; the charts add the picture only.
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  if (!source || typeof Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var colours = ["#2f6f4f", "#b5452b", "#c48a00", "#40568f", "#7a4f9a", "#4f8a8b"];

  function draw(canvasId, chart) {
    var canvas = document.getElementById(canvasId);
    if (!canvas || !chart) {
      return;
    }
    var datasets = chart.series.map(function (series, index) {
      return {
        label: series.label,
        data: series.values,
        borderColor: colours[index % colours.length],
        backgroundColor: colours[index % colours.length],
        fill: false,
        tension: 0
      };
    });
    new Chart(canvas, {
      type: chart.type,
      data: { labels: chart.labels, datasets: datasets },
      options: {
        indexAxis: chart.horizontal ? "y" : "x",
        animation: false,
        responsive: true,
        plugins: { legend: { display: datasets.length > 1 } },
        scales: { x: { stacked: !!chart.stacked }, y: { stacked: !!chart.stacked, beginAtZero: true } }
      }
    });
  }

  Object.keys(data).forEach(function (canvasId) {
    draw(canvasId, data[canvasId]);
  });
})();
